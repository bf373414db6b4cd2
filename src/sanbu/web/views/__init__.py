"""Server-rendered pages (zh-hans) over the same services and selectors as the API."""
