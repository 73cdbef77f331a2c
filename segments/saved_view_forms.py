"""Forms of saved views: save the table as a view, rename or share it."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from segments.fields import IdsField
from segments.forms import FocusFirstError
from segments.models import SavedView
from segments.selectors.saved_views import canonical_table_query, table_problems

QUERY_MAX_LENGTH = SavedView._meta.get_field("query").max_length


class SavedViewForm(FocusFirstError):
    name = forms.CharField(
        max_length=100, label="View name", error_messages={"required": "Give the view a name."}
    )
    shared = forms.BooleanField(required=False, label="Share with the team")
    table = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
    # "Update to this table": the policies on the view that the page showed (ids).
    policies_seen = IdsField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, taken: set[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.taken = taken

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the view a name.")
        # In any case: "Paused" and "PAUSED" would be two look-alike views in the bar.
        if twin := next((t for t in self.taken if t.casefold() == name.casefold()), None):
            raise forms.ValidationError(f"You already have a view named “{twin}”.")
        return name

    def clean_table(self) -> str:
        """A table the view can show as saved: a filter the table ignores (a status
        gone, a hand-edited value) would be saved ignored, then hold or not later."""
        table = self.cleaned_data.get("table", "")
        params = QueryDict(table.lstrip("?"))
        if len(canonical_table_query(params)) > QUERY_MAX_LENGTH:
            raise forms.ValidationError("This table's filters are too long to save as a view.")
        if problems := table_problems(params):
            raise forms.ValidationError(
                f"This table ignores some of its filters ({'; '.join(problems)}): correct "
                "them, then save it."
            )
        return table

    @property
    def params(self) -> QueryDict:
        return QueryDict(self.cleaned_data.get("table", "").lstrip("?"))
