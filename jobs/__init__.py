"""Everything that turns a PDF into content."""
