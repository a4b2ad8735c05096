"""The dashboard at `/` and GraphiQL at GET /graphql, served from files in this package.

`assets` serves static/ under one content-hashed prefix (cached for a year, gzipped);
`pages` renders the two HTML pages with a strict Content-Security-Policy. Both pages are
plain clients of the public GraphQL API; nothing here reads the database.
"""

from graphql_api.web.pages import dashboard_page, graphiql_page, web_routes

__all__ = ["dashboard_page", "graphiql_page", "web_routes"]
