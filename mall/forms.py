"""Form fields shared by the apps: several files in one input (Django's documented
multiple-file field). The fields check the shape of the upload only; its content is
checked by the service that keeps it (``catalog.services.media``)."""

from django import forms


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Cleans to a list of uploads, empty entries left out. ``accept`` is only the file
    picker's hint to the browser, never a check."""

    accept = ""

    def __init__(self, *args, **kwargs):
        attrs = {"accept": self.accept} if self.accept else {}
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(item, initial) for item in data if item]
        return [one(data, initial)] if data else []


class PhotosField(MultipleFileField):
    """Several image files in one input."""

    accept = "image/*"
