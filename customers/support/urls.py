"""Customer service's pages, in three groups that mall/urls.py mounts:

- ``requests``: the shopper's service requests, under /accounts/tickets/ (``tickets:``);
- ``help_centre``: the storefront's help centre, under /help/ (``help:``);
- ``workspace``: the agents' ticket view, under /support/ (``support:``; staff only, not
  the admin), mounted AFTER orders' after-sales decisions at /support/after-sales/.
"""

from django.urls import path

from .views import compensation, help, macros, requests, supervision, workspace

requests_patterns = [
    path("", requests.ticket_list, name="list"),
    path("new/", requests.ticket_new, name="new"),
    path("<str:number>/", requests.ticket_detail, name="detail"),
    path("<str:number>/reply/", requests.ticket_reply, name="reply"),
    path("<str:number>/rate/", requests.ticket_rate, name="rate"),
    path("<str:number>/close/", requests.ticket_close, name="close"),
    path("<str:number>/attachments/<int:pk>/", requests.ticket_attachment, name="attachment"),
]

help_patterns = [
    path("", help.index, name="index"),
    path("search/", help.search, name="search"),
    # JSON {"results": [{"title": ..., "url": ...}]}: at most 5 published articles, titles
    # in the page's language. The new-ticket form calls it; keep the contract.
    path("suggest/", help.suggest, name="suggest"),
    path("category/<slug:slug>/", help.category, name="category"),
    path("article/<int:pk>/", help.article, name="article"),
    path("article/<int:pk>/helpful/", help.vote, name="vote"),
]

workspace_patterns = [
    path("", workspace.queue, name="queue"),
    path("tickets/new/", workspace.new_ticket, name="ticket_new"),
    path("bulk/", macros.bulk, name="bulk"),
    path("tickets/<str:number>/", workspace.ticket, name="ticket"),
    path("tickets/<str:number>/reply/", workspace.reply, name="reply"),
    path("tickets/<str:number>/note/", workspace.note, name="note"),
    path("tickets/<str:number>/assign/", workspace.assign, name="assign"),
    path("tickets/<str:number>/reassign/", workspace.reassign, name="reassign"),
    path("tickets/<str:number>/escalate/", workspace.escalate, name="escalate"),
    path("tickets/<str:number>/priority/", workspace.change_priority, name="priority"),
    path("tickets/<str:number>/resolve/", workspace.resolve, name="resolve"),
    path("tickets/<str:number>/reopen/", workspace.reopen, name="reopen"),
    path("tickets/<str:number>/close/", workspace.close, name="close"),
    path("tickets/<str:number>/ping/", workspace.ping, name="ping"),
    path("tickets/<str:number>/macro/", macros.apply_macro, name="macro"),
    path("tickets/<str:number>/tags/", macros.set_tags, name="tags"),
    path("tickets/<str:number>/compensate/", compensation.compensate, name="compensate"),
    path(
        "tickets/<str:number>/messages/<int:pk>/draft-article/",
        workspace.draft_article,
        name="draft_article",
    ),
    path("tickets/<str:number>/attachments/<int:pk>/", workspace.attachment, name="attachment"),
    path("orders/<str:number>/", workspace.order, name="order"),
    path("answers/", workspace.answers, name="answers"),
    path("follow-ups/", supervision.follow_ups, name="follow_ups"),
    path("follow-ups/<int:pk>/done/", supervision.follow_up_done, name="follow_up_done"),
    path("dashboard/", supervision.dashboard, name="dashboard"),
    path("targets/", supervision.targets, name="targets"),
]

requests_urls = (requests_patterns, "tickets")
help_urls = (help_patterns, "help")
workspace_urls = (workspace_patterns, "support")
