"""The API process: Starlette app, Strawberry schema, auth, subscriptions."""
