"""Lists in the people's API are paginated: ``?page=N&page_size=M`` (at most 200), with count and links."""

from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
