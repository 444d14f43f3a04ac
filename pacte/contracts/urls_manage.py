"""The provider's contract pages: contracts, amendments, notice and exit, the catalogue and the templates."""

from django.urls import URLPattern, path

from pacte.contracts import views, views_catalogue, views_lifecycle

urlpatterns: list[URLPattern] = [
    path("", views.ContractListView.as_view(), name="contract_list"),
    path("new/", views.ContractCreateView.as_view(), name="contract_create"),
    path("<int:pk>/", views.ContractDetailView.as_view(), name="contract_detail"),
    path("<int:pk>/edit/", views.ContractUpdateView.as_view(), name="contract_update"),
    path("<int:pk>/send/", views.ContractSendView.as_view(), name="contract_send"),
    path("<int:pk>/cancel/", views.ContractCancelView.as_view(), name="contract_cancel"),
    path("<int:pk>/renew/", views_lifecycle.ContractRenewView.as_view(), name="contract_renew"),
    path("<int:pk>/notice/", views_lifecycle.NoticeCreateView.as_view(), name="notice_create"),
    path("<int:pk>/exit/", views_lifecycle.ContractExitStartView.as_view(), name="exit_start"),
    path("<int:pk>/close/", views_lifecycle.ContractCloseView.as_view(), name="contract_close"),
    path("<int:pk>/amendments/new/", views_lifecycle.AmendmentCreateView.as_view(), name="amendment_create"),
    path("amendments/<int:pk>/edit/", views_lifecycle.AmendmentUpdateView.as_view(), name="amendment_update"),
    path("amendments/<int:pk>/send/", views_lifecycle.AmendmentSendView.as_view(), name="amendment_send"),
    path("amendments/<int:pk>/cancel/", views_lifecycle.AmendmentCancelView.as_view(), name="amendment_cancel"),
    path("exit-items/<int:pk>/", views_lifecycle.ExitItemUpdateView.as_view(), name="exit_item_update"),
    path("categories/", views_catalogue.CategoryListView.as_view(), name="category_list"),
    path("categories/new/", views_catalogue.CategoryCreateView.as_view(), name="category_create"),
    path("categories/<int:pk>/edit/", views_catalogue.CategoryUpdateView.as_view(), name="category_update"),
    path("categories/<int:pk>/archive/", views_catalogue.CategoryArchiveView.as_view(), name="category_archive"),
    path("templates/", views_catalogue.TemplateListView.as_view(), name="template_list"),
    path("templates/new/", views_catalogue.TemplateCreateView.as_view(), name="template_create"),
    path("templates/<int:pk>/", views_catalogue.TemplateDetailView.as_view(), name="template_detail"),
    path("templates/<int:pk>/edit/", views_catalogue.TemplateUpdateView.as_view(), name="template_update"),
    path("templates/<int:pk>/archive/", views_catalogue.TemplateArchiveView.as_view(), name="template_archive"),
]
