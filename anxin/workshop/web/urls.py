from django.urls import path

from .. import eorder
from . import (
    appointments,
    archive,
    board,
    contact,
    customer,
    experts,
    photos,
    tech,
    workorders,
    writes,
)

urlpatterns = [
    path("", board.board, name="board"),
    path("board/live/", board.board_live, name="board_live"),
    path("appointments/", board.AppointmentList.as_view(), name="appointments"),
    path("appointments/new/", appointments.book, name="book"),
    path("appointments/<int:pk>/", appointments.appointment_page, name="appointment"),
    path("appointments/<int:pk>/contact/", contact.appointment_contact, name="appointment_contact"),
    path(
        "appointments/<int:pk>/<slug:what>/",
        appointments.appointment_act,
        name="appointment_act",
    ),
    path("orders/", board.WorkOrderList.as_view(), name="work_orders"),
    path("orders/<int:pk>/", workorders.work_order_page, name="work_order"),
    path("orders/<int:pk>/ework/", eorder.ework_page, name="ework"),
    path("orders/<int:pk>/ework.pdf", eorder.ework_pdf, name="ework_pdf"),
    path("orders/<int:pk>/ework/render/", eorder.ework_render, name="ework_render"),
    path("orders/<int:pk>/contact/", contact.work_order_contact, name="work_order_contact"),
    path("orders/<int:pk>/<slug:what>/", writes.act, name="act"),
    path("photos/<int:photo_id>/", photos.inspection_photo, name="inspection_photo"),
    path("expert-photos/<int:photo_id>/", photos.expert_photo, name="expert_photo"),
    path("tech/", tech.tech_home, name="tech"),
    path("tech/orders/<int:pk>/", tech.tech_job, name="tech_job"),
    path("vehicles/<int:pk>/archive/", archive.vehicle_archive, name="archive"),
    path("experts/", experts.queue, name="experts"),
    path("experts/<int:pk>/", experts.request_page, name="expert_request"),
    path("experts/<int:pk>/<slug:what>/", experts.request_act, name="expert_act"),
    # public pages: no login, personal links and the online booking form
    path("book/", appointments.public_book, name="public_book"),
    path("a/<str:token>/", appointments.appointment_public, name="appointment_public"),
    path("q/<str:token>/", customer.quote, name="quote"),
    path("verify/", customer.verify, name="verify"),
    path("l/", customer.lookup, name="lookup"),
    path("e/<str:token>/", customer.ework_public, name="ework_public"),
    path("e/<str:token>/pdf/", customer.ework_public_pdf, name="ework_public_pdf"),
]
