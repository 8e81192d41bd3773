from django.urls import path

from . import audits, callbacks, improvements, mystery

urlpatterns = [
    path("callbacks/", callbacks.worklist_page, name="callbacks"),
    path("callbacks/<int:pk>/", callbacks.callback_page, name="callback"),
    path("draws/", callbacks.draw_list, name="draws"),
    path("draws/<int:pk>/", callbacks.draw_page, name="draw"),
    path("improvements/", improvements.board, name="improvements"),
    path("improvements/new/", improvements.new_action, name="improvement_new"),
    path("improvements/<int:pk>/", improvements.action_page, name="improvement"),
    path("audits/", audits.audit_list, name="audits"),
    path("audits/<int:pk>/", audits.audit_page, name="audit"),
    path("mystery/", mystery.mystery_home, name="mystery"),
    path("mystery/new/", mystery.new_report, name="mystery_new"),
    path("mystery/quarterly/<int:pk>/", mystery.quarterly_page, name="quarterly"),
]
