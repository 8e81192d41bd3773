"""Forms of the assurance pages: they parse input; the action functions decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anxin.accounts.models import User

from ..choices import AttemptOutcome, IssueTag, VerificationAnswer

UNSUCCESSFUL = [(v, label) for v, label in AttemptOutcome.choices if v != AttemptOutcome.REACHED]
YES_NO = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]


class AttemptForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=UNSUCCESSFUL)
    note = forms.CharField(label=_("note"), max_length=500, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResultForm(forms.Form):
    """The callback's result; script questions and improvement questions are added per callback."""

    reached = forms.TypedChoiceField(
        label=_("reached the customer"),
        choices=[("yes", _("Yes, reached")), ("no", _("Not reached (after the tries)"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    satisfied = forms.ChoiceField(label=_("satisfied"), choices=YES_NO, required=False)
    issues = forms.CharField(
        label=_("issues raised"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    issue_tags = forms.MultipleChoiceField(
        label=_("issue categories"),
        choices=IssueTag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("note"), max_length=500, required=False)

    def __init__(self, *args: Any, questions: list[Any], verifications: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.questions = questions
        self.verifications = verifications
        for q in questions:
            name = f"q_{q.code}"
            if q.answer == "yes_no":
                self.fields[name] = forms.ChoiceField(label=q.text, choices=YES_NO, required=False)
            elif q.answer == "score":
                self.fields[name] = forms.TypedChoiceField(
                    label=q.text,
                    required=False,
                    coerce=int,
                    empty_value=None,
                    choices=[("", "—")] + [(str(i), str(i)) for i in range(1, 6)],
                )
            else:
                self.fields[name] = forms.CharField(label=q.text, required=False, max_length=1000)
        for v in verifications:
            self.fields[f"v_{v.action_id}"] = forms.ChoiceField(
                label=v.question,
                required=False,
                choices=[("", "—"), *VerificationAnswer.choices],
                widget=forms.RadioSelect,
            )
            self.fields[f"vnote_{v.action_id}"] = forms.CharField(
                label=_("what the customer said"), required=False, max_length=2000
            )

    def question_fields(self) -> list[Any]:
        return [self[f"q_{q.code}"] for q in self.questions]

    def verification_fields(self) -> list[tuple[Any, Any, Any]]:
        return [
            (v, self[f"v_{v.action_id}"], self[f"vnote_{v.action_id}"]) for v in self.verifications
        ]

    def answers(self) -> dict[str, Any]:
        return {
            q.code: self.cleaned_data.get(f"q_{q.code}")
            for q in self.questions
            if self.cleaned_data.get(f"q_{q.code}") not in (None, "")
        }

    def verification_answers(self) -> dict[int, dict[str, str]]:
        out = {}
        for v in self.verifications:
            answer = self.cleaned_data.get(f"v_{v.action_id}")
            if answer:
                out[v.action_id] = {
                    "answer": answer,
                    "note": self.cleaned_data.get(f"vnote_{v.action_id}", ""),
                }
        return out

    def satisfied_value(self) -> bool | None:
        value = self.cleaned_data.get("satisfied")
        return None if not value else value == "yes"


def owners_for(region_id: int | None) -> Any:
    qs = User.objects.filter(is_active=True).exclude(
        role__in=["volunteer_supervisor", "technician"]
    )
    if region_id:
        from django.db.models import Q

        qs = qs.filter(Q(region_id=region_id) | Q(region__isnull=True))
    return qs.order_by("role", "username")


class OwnerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name() or obj.username} · {obj.get_role_display()}"


class ActionForm(forms.Form):
    title = forms.CharField(label=_("problem"), max_length=200)
    owner = OwnerChoice(label=_("owner"), queryset=User.objects.none())
    due_date = forms.DateField(label=_("due date"), widget=forms.DateInput(attrs={"type": "date"}))
    change_plan = forms.CharField(
        label=_("what will change"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    success_measure = forms.CharField(
        label=_("how success is measured"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
    )
    verification_question = forms.CharField(
        label=_("verification question for the callback"),
        max_length=300,
        required=False,
        help_text=_("Asked at the next month's callbacks; empty: a standard question."),
    )

    def __init__(self, *args: Any, region_id: int | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["owner"].queryset = owners_for(region_id)


class RegionChoiceForm(forms.Form):
    region = forms.ModelChoiceField(label=_("region"), queryset=None)
    seed = forms.IntegerField(
        label=_("seed (empty: random, stored)"), required=False, min_value=0, max_value=2**62
    )

    def __init__(self, *args: Any, regions: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["region"].queryset = regions


class MonthDrawForm(RegionChoiceForm):
    month = forms.RegexField(
        label=_("month"),
        regex=r"^\d{4}-\d{2}$",
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "2026-11"}),
    )


class QuarterDrawForm(RegionChoiceForm):
    quarter = forms.RegexField(
        label=_("quarter"),
        regex=r"^\d{4}-Q[1-4]$",
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "2026-Q4"}),
    )


class ImplementForm(forms.Form):
    note = forms.CharField(
        label=_("what was done"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConfirmFindingForm(forms.Form):
    owner = OwnerChoice(label=_("owner"), queryset=User.objects.none())
    due_date = forms.DateField(label=_("due date"), widget=forms.DateInput(attrs={"type": "date"}))
    change_plan = forms.CharField(label=_("what will change"), max_length=4000)
    success_measure = forms.CharField(label=_("how success is measured"), max_length=4000)

    def __init__(self, *args: Any, region_id: int | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["owner"].queryset = owners_for(region_id)


class QuarterlyForm(forms.Form):
    summary = forms.CharField(
        label=_("report"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6})
    )
    suggestions = forms.CharField(
        label=_("suggestions"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
