"""Provider clients for vision OCR and translation (httpx)."""
