"""Forms of the ticket view's macros, tags and bulk actions."""

from django import forms
from django.contrib.postgres.forms import SimpleArrayField
from django.utils.translation import gettext_lazy as _

from ..models import Macro, Ticket


class MacroForm(forms.Form):
    macro = forms.ModelChoiceField(
        label=_("Macro"),
        queryset=Macro.objects.filter(active=True),
        error_messages={
            "required": _("Choose a macro."),
            "invalid_choice": _("Choose a macro."),
        },
    )


class TagsForm(forms.Form):
    tags = SimpleArrayField(
        forms.CharField(max_length=30),
        label=_("Tags"),
        required=False,
        help_text=_("Separated by commas."),
    )

    def clean_tags(self):
        return [tag.strip() for tag in self.cleaned_data["tags"] or [] if tag.strip()]


class BulkForm(forms.Form):
    ASSIGN_ME, TAG, PRIORITY = "assign_me", "tag", "priority"

    tickets = forms.MultipleChoiceField(
        error_messages={"required": _("Tick the tickets to change.")}
    )
    action = forms.ChoiceField(
        label=_("With the ticked tickets"),
        choices=[
            (ASSIGN_ME, _("Assign to me")),
            (TAG, _("Add the tag")),
            (PRIORITY, _("Set the priority")),
        ],
    )
    tag = forms.CharField(label=_("Tag"), max_length=30, required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", "—"), *Ticket.Priority.choices], required=False
    )
    back = forms.CharField(required=False, max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any ticket number may be ticked; unknown ones simply match nothing.
        self.fields["tickets"].valid_value = lambda value: len(value) <= 24

    def clean(self):
        data = super().clean()
        if data.get("action") == self.TAG and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Type the tag to add."))
        if data.get("action") == self.PRIORITY and not data.get("priority"):
            self.add_error("priority", _("Choose a priority."))
        return data
