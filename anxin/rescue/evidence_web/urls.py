"""Routes of the evidence pages, included into the ``rescue`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("jobs/<int:pk>/evidence/", views.evidence_page, name="evidence"),
    path("jobs/<int:pk>/evidence/part/<slug:name>/", views.part, name="evidence_part"),
    path("jobs/<int:pk>/evidence/photos/", views.photo_upload, name="photo_upload"),
    path("jobs/<int:pk>/evidence/notes/", views.note_add, name="note_add"),
    path("jobs/<int:pk>/evidence/checklist/", views.checklist_tick, name="checklist_tick"),
    path(
        "jobs/<int:pk>/evidence/compliance-review/",
        views.compliance_review,
        name="compliance_review",
    ),
    path("jobs/<int:pk>/evidence/confirmation/", views.confirmation_fill, name="confirmation_fill"),
    path(
        "jobs/<int:pk>/evidence/confirmation/signature/",
        views.confirmation_sign,
        name="confirmation_sign",
    ),
    path(
        "jobs/<int:pk>/evidence/confirmation/print/",
        views.confirmation_print,
        name="confirmation_print",
    ),
    path("jobs/<int:pk>/final-review/", views.final_review_page, name="final_review"),
    path("evidence/photos/<int:photo_id>.jpg", views.photo_file, name="photo_file"),
    path("sign/<str:token>/", views.confirmation_sign_public, name="confirmation_sign_public"),
]
