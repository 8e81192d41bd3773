"""The two calendars every installation has: ``natural`` and ``cn-workday``.

``cn-workday``'s day table is loaded from the ``chinese-calendar`` package (China's public
holidays and adjusted working days from the State Council's notices, every year it covers);
it is then ordinary data that administrators edit and extend in the admin. The horizon is the
last year the package covers: later years follow the weekly rule and raise an alert.
"""

import datetime as dt

from django.db import migrations

WEEKDAY_HOURS = [["08:30", "12:00"], ["13:00", "17:30"]]
CN_WEEKLY = {day: WEEKDAY_HOURS for day in ("mon", "tue", "wed", "thu", "fri")}
NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def seed(apps, schema_editor):
    from chinese_calendar import constants

    Calendar = apps.get_model("commitments", "Calendar")
    CalendarDay = apps.get_model("commitments", "CalendarDay")
    Calendar.objects.get_or_create(
        name="natural",
        defaults={"kind": "natural", "weekly": {}, "description": "自然时间 (24/7)"},
    )
    last_year = max(d.year for d in [*constants.holidays, *constants.workdays])
    cn, _ = Calendar.objects.get_or_create(
        name="cn-workday",
        defaults={
            "kind": "working", "weekly": CN_WEEKLY,
            "description": "工作日 周一至周五 08:30-12:00 13:00-17:30，法定节假日休息，调休上班",
            "holidays_until": dt.date(last_year, 12, 31),
        },
    )
    rows = [
        CalendarDay(calendar=cn, date=day, kind="holiday", name=NAMES.get(name, name))
        for day, name in constants.holidays.items()
    ] + [
        CalendarDay(calendar=cn, date=day, kind="workday", name=f"{NAMES.get(name, name)}调休")
        for day, name in constants.workdays.items()
    ]
    CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)


def unseed(apps, schema_editor):
    apps.get_model("commitments", "Calendar").objects.filter(
        name__in=["natural", "cn-workday"]).delete()


class Migration(migrations.Migration):
    dependencies = [("commitments", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
