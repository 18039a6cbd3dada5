from dataclasses import dataclass

from django.contrib import admin
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .audited import AuditedAdminMixin

# Words of Django's own admin templates (the sidebar's headings for screen readers) that
# Django 5.2's Chinese catalogue lacks; listed here so that makemessages keeps them in ours.
DJANGO_ADMIN_WORDS = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)


@dataclass(frozen=True)
class AdminPage:
    """A back-office page that is not a model's (a report), see ``register_page``."""

    route: str
    view: object
    name: str
    label: str
    section: str
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class PendingQueue:
    """A queue of work shown on the back-office home with its count (``register_queue``)."""

    label: str
    count: object  # count(request) -> int: one query
    url: object  # where the queue is: "admin:<name>?<query>", or url(request) -> str
    permissions: tuple[str, ...]


class MallAdminSite(admin.AdminSite):
    """The back office for operators, warehouse staff and analysts.

    Support agents are staff too (they work in the ticket view at /support/), but the
    admin is not theirs: only superusers and members of a back-office group get in.
    """

    site_header = _("mall back office")
    site_title = _("mall back office")
    index_title = _("Operations")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[AdminPage] = []
        self._queues: list[PendingQueue] = []

    def register_queue(self, *, label, count, url, permission) -> None:
        """Show a queue on the home page of whoever holds ``permission`` (one name, or a
        tuple of names all needed): ``label``, how many wait (``count(request)``, one
        query) and a link to ``url`` (an admin URL name with its query string, reversed
        when the page is shown: "admin:catalog_product_changelist?approval=mine")."""
        permissions = (permission,) if isinstance(permission, str) else tuple(permission)
        self._queues.append(PendingQueue(label, count, url, permissions))

    def pending_queues(self, request) -> list[dict]:
        """The queues ``request.user`` works, with their counts: one query per queue."""
        rows = []
        for queue in self._queues:
            if not request.user.has_perms(queue.permissions):
                continue
            if callable(queue.url):
                address = queue.url(request)
            else:
                name, _sep, query = queue.url.partition("?")
                address = reverse(name) + (f"?{query}" if query else "")
            rows.append({"label": queue.label, "count": queue.count(request), "url": address})
        return rows

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "pending_queues": self.pending_queues(request)}
        return super().index(request, extra_context)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Register as Django does, with ``AuditedAdminMixin`` mixed into the ModelAdmin:
        every add, change (field by field) and delete reaches the audit trail."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(admin_class.__name__, (AuditedAdminMixin, admin_class), {})
        return super().register(model_or_iterable, admin_class, **options)

    def register_page(self, *, route, view, name, label, section, permission) -> None:
        """Serve ``view`` at /admin/``route`` as ``admin:<name>`` (behind the admin's own
        login check) and list it on the index under ``section`` for users holding
        ``permission`` (one name, or a tuple of names all needed). The view checks the
        permissions itself too."""
        permissions = (permission,) if isinstance(permission, str) else tuple(permission)
        self._pages.append(AdminPage(route, view, name, label, section, permissions))

    def get_urls(self):
        pages = [path(p.route, self.admin_view(p.view), name=p.name) for p in self._pages]
        return pages + super().get_urls()

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        if app_label is not None:
            return app_list
        sections: dict[str, list[AdminPage]] = {}
        for page in self._pages:
            if request.user.has_perms(page.permissions):
                sections.setdefault(str(page.section), []).append(page)
        for section, pages in sections.items():
            links = [
                {
                    "name": page.label,
                    "object_name": page.name,
                    "admin_url": reverse(f"{self.name}:{page.name}"),
                    "add_url": None,
                    "view_only": True,
                    "perms": {"view": True},
                }
                for page in pages
            ]
            app_list.append(
                {
                    "name": section,
                    "app_label": pages[0].name,
                    "app_url": links[0]["admin_url"],
                    "has_module_perms": True,
                    "models": links,
                }
            )
        return app_list

    def has_permission(self, request):
        from mall.roles import is_back_office

        user = request.user
        return bool(user.is_active and user.is_staff and is_back_office(user))
