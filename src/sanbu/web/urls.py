from django.contrib.auth import views as auth_views
from django.urls import path

from .views import catalog, elements, home, review, steward

urlpatterns = [
    path("login/", home.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", home.home, name="home"),
    path("catalog/", catalog.browse, name="catalog-browse"),
    path("catalog/resources/new/", steward.resource_new, name="resource-new"),
    path("catalog/resources/<int:pk>/", catalog.resource_detail, name="resource-detail"),
    path("catalog/resources/<int:pk>/edit/", steward.resource_edit, name="resource-edit"),
    path("catalog/resources/<int:pk>/versions/", catalog.resource_diff, name="resource-diff"),
    path("catalog/resources/<int:pk>/<slug:action>/", catalog.resource_action, name="resource-action"),
    path("catalog/import/", steward.catalog_import, name="catalog-import"),
    path("catalog/import/template/", steward.catalog_template, name="catalog-template"),
    path("catalog/export/", steward.catalog_export, name="catalog-export"),
    path("catalog/review/", review.review_queue, name="review-queue"),
    path("catalog/review/<int:pk>/", review.review_decide, name="review-decide"),
    path("catalog/elements/", elements.element_list, name="element-list"),
    path("catalog/elements/<int:pk>/", elements.element_detail, name="element-detail"),
    path("catalog/elements/conflicts/", elements.conflicts, name="element-conflicts"),
    path("catalog/elements/conflicts/<int:pk>/resolve/", elements.conflict_resolve, name="conflict-resolve"),
    path("catalog/elements/duplicates/", elements.duplicates, name="element-duplicates"),
    path("catalog/elements/links/", elements.links, name="element-links"),
    path("catalog/items/<int:item_id>/link/", elements.item_link, name="item-link"),
]
