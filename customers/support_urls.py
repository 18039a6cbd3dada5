"""The agents' ticket view (staff only; not the admin).

Mounted by mall/urls.py AFTER the after-sales support pages with:
    path("support/", include("customers.support_urls")),
"""

from django.urls import path

from . import support_views as views

app_name = "support"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("tickets/new/", views.new_ticket, name="ticket_new"),
    path("tickets/<str:number>/", views.ticket, name="ticket"),
    path("tickets/<str:number>/reply/", views.reply, name="reply"),
    path("tickets/<str:number>/note/", views.note, name="note"),
    path("tickets/<str:number>/assign/", views.assign, name="assign"),
    path("tickets/<str:number>/reassign/", views.reassign, name="reassign"),
    path("tickets/<str:number>/escalate/", views.escalate, name="escalate"),
    path("tickets/<str:number>/priority/", views.change_priority, name="priority"),
    path("tickets/<str:number>/resolve/", views.resolve, name="resolve"),
    path("tickets/<str:number>/reopen/", views.reopen, name="reopen"),
    path("tickets/<str:number>/close/", views.close, name="close"),
    path(
        "tickets/<str:number>/messages/<int:pk>/draft-article/",
        views.draft_article,
        name="draft_article",
    ),
    path("tickets/<str:number>/attachments/<int:pk>/", views.attachment, name="attachment"),
    path("answers/", views.answers, name="answers"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("targets/", views.targets, name="targets"),
]
