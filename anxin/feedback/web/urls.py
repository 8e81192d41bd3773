from django.urls import path

from . import desk, public

urlpatterns = [
    # the customer's pages (no login)
    path("q/", public.lookup, name="lookup"),
    path("r/<str:token>/", public.rate, name="rate"),
    path("thanks/", public.thanks, name="thanks"),
    # customer service
    path("complaints/", desk.ComplaintDesk.as_view(), name="desk"),
    path("complaints/new/", desk.intake, name="intake"),
    path("complaints/propose/", desk.propose, name="propose"),
    path("complaints/<int:pk>/", desk.complaint_page, name="complaint"),
    path("complaints/<int:pk>/transition/", desk.complaint_transition, name="transition"),
    path("complaints/<int:pk>/classify/", desk.complaint_classify, name="classify"),
    path("complaints/<int:pk>/details/", desk.complaint_details, name="details"),
    path("follow-ups/", desk.FollowUpList.as_view(), name="followups"),
    path("follow-ups/<int:pk>/step/", desk.follow_up_step, name="followup_step"),
    path("engineering/", desk.cases, name="cases"),
    path("engineering/<int:pk>/", desk.case_update, name="case_update"),
    path("social/", desk.social_posts, name="social"),
    path("board/", desk.board, name="board"),
]
