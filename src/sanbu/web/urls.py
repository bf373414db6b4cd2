from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from .views import apps, catalog, elements, home, requests, review, steward


class IdConverter:
    """A database id: at most 18 digits, so an absurd number is a 404, never an integer overflow."""

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

urlpatterns = [
    path("login/", home.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", home.home, name="home"),
    path("catalog/", catalog.browse, name="catalog-browse"),
    path("catalog/resources/new/", steward.resource_new, name="resource-new"),
    path("catalog/resources/<id:pk>/", catalog.resource_detail, name="resource-detail"),
    path("catalog/resources/<id:pk>/edit/", steward.resource_edit, name="resource-edit"),
    path("catalog/resources/<id:pk>/versions/", catalog.resource_diff, name="resource-diff"),
    path("catalog/resources/<id:pk>/<slug:action>/", catalog.resource_action, name="resource-action"),
    path("catalog/import/", steward.catalog_import, name="catalog-import"),
    path("catalog/import/template/", steward.catalog_template, name="catalog-template"),
    path("catalog/export/", steward.catalog_export, name="catalog-export"),
    path("catalog/review/", review.review_queue, name="review-queue"),
    path("catalog/review/<id:pk>/", review.review_decide, name="review-decide"),
    path("catalog/elements/", elements.element_list, name="element-list"),
    path("catalog/elements/<id:pk>/", elements.element_detail, name="element-detail"),
    path("catalog/elements/conflicts/", elements.conflicts, name="element-conflicts"),
    path("catalog/elements/conflicts/<id:pk>/resolve/", elements.conflict_resolve, name="conflict-resolve"),
    path("catalog/elements/duplicates/", elements.duplicates, name="element-duplicates"),
    path("catalog/elements/links/", elements.links, name="element-links"),
    path("catalog/items/<id:item_id>/link/", elements.item_link, name="item-link"),
    path("exchange/apps/", apps.app_list, name="exchange-apps"),
    path("exchange/apps/<id:pk>/", apps.app_detail, name="exchange-app"),
    path("exchange/apps/<id:pk>/disable/", apps.app_disable, name="exchange-app-disable"),
    path("exchange/apps/<id:pk>/keys/", apps.key_issue, name="exchange-key-issue"),
    path("exchange/keys/<id:pk>/rotate/", apps.key_rotate, name="exchange-key-rotate"),
    path("exchange/keys/<id:pk>/revoke/", apps.key_revoke, name="exchange-key-revoke"),
    path("exchange/resources/<id:pk>/request/", requests.request_new, name="exchange-request-new"),
    path("exchange/requests/", requests.requests_mine, name="exchange-requests"),
    path("exchange/requests/<id:pk>/", requests.request_detail, name="exchange-request"),
    path("exchange/requests/<id:pk>/resubmit/", requests.request_resubmit, name="exchange-request-resubmit"),
    path("exchange/inbox/", requests.inbox, name="exchange-inbox"),
    path("exchange/inbox/<id:pk>/<slug:action>/", requests.request_act, name="exchange-request-act"),
    path("exchange/ledger/", requests.ledger, name="exchange-ledger"),
]
