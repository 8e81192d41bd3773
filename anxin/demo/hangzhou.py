"""Real places of the demo city: regions, cities and Hangzhou's 13 districts (WGS-84).

See :data:`SOURCE` for where the seats and coordinates come from.
"""

from __future__ import annotations

from typing import Any

SOURCE = (
    "District seats: the Zhejiang provincial government's approval of Hangzhou's boundary "
    "changes (11 March 2021) names the seats of 上城 (望潮路77号), 拱墅 (台州路1号), "
    "余杭 (文一西路1500号), 临平 (西大街33号) and 钱塘 (青六北路499号); the others are the "
    "long-standing district/county government towns of the public gazetteer, with their "
    "GB/T 2260 administrative codes. Coordinates are WGS-84 (not GCJ-02), placed at the "
    "government seat from general knowledge of the map, accurate to about 1-2 km: good "
    "enough for a demo city, not for navigation. City centres are the municipal government "
    "addresses. Urban/remote follows the product's response targets (30 min urban, 50 min "
    "remote): 临安, 桐庐, 淳安 and 建德 are remote."
)

PLACES: dict[str, Any] = {
    "source": SOURCE,
    "datum": "WGS-84",
    "hangzhou_bbox": {"lat": [29.18, 30.57], "lon": [118.34, 120.73]},
    "regions": [{"code": "east", "name": "华东大区"}, {"code": "south", "name": "华南大区"}],
    "cities": [
        {
            "code": "330100",
            "name": "杭州市",
            "region": "east",
            "plate": "浙A",
            "phone_area": "0571",
            "seat": "上城区解放东路18号（市民中心）",
            "lat": 30.2482,
            "lon": 120.2052,
        },
        {
            "code": "330200",
            "name": "宁波市",
            "region": "east",
            "plate": "浙B",
            "phone_area": "0574",
            "seat": "鄞州区宁穿路2001号",
            "lat": 29.8687,
            "lon": 121.5565,
        },
        {
            "code": "330600",
            "name": "绍兴市",
            "region": "east",
            "plate": "浙D",
            "phone_area": "0575",
            "seat": "越城区洋江西路589号",
            "lat": 29.999,
            "lon": 120.581,
        },
        {
            "code": "440100",
            "name": "广州市",
            "region": "south",
            "plate": "粤A",
            "phone_area": "020",
            "seat": "越秀区府前路1号",
            "lat": 23.1318,
            "lon": 113.2597,
        },
    ],
    "districts": [
        {
            "code": "330102",
            "name": "上城区",
            "area": "urban",
            "seat": "望江街道望潮路77号",
            "lat": 30.238,
            "lon": 120.184,
        },
        {
            "code": "330105",
            "name": "拱墅区",
            "area": "urban",
            "seat": "拱宸桥街道台州路1号",
            "lat": 30.3219,
            "lon": 120.1378,
        },
        {
            "code": "330106",
            "name": "西湖区",
            "area": "urban",
            "seat": "北山街道",
            "lat": 30.275,
            "lon": 120.128,
        },
        {
            "code": "330108",
            "name": "滨江区",
            "area": "urban",
            "seat": "西兴街道",
            "lat": 30.21,
            "lon": 120.208,
        },
        {
            "code": "330109",
            "name": "萧山区",
            "area": "urban",
            "seat": "北干街道",
            "lat": 30.184,
            "lon": 120.26,
        },
        {
            "code": "330110",
            "name": "余杭区",
            "area": "urban",
            "seat": "仓前街道文一西路1500号",
            "lat": 30.287,
            "lon": 120.005,
        },
        {
            "code": "330113",
            "name": "临平区",
            "area": "urban",
            "seat": "临平街道西大街33号",
            "lat": 30.421,
            "lon": 120.299,
        },
        {
            "code": "330114",
            "name": "钱塘区",
            "area": "urban",
            "seat": "河庄街道青六北路499号",
            "lat": 30.296,
            "lon": 120.487,
        },
        {
            "code": "330111",
            "name": "富阳区",
            "area": "urban",
            "seat": "富春街道",
            "lat": 30.049,
            "lon": 119.956,
        },
        {
            "code": "330112",
            "name": "临安区",
            "area": "remote",
            "seat": "锦城街道",
            "lat": 30.234,
            "lon": 119.72,
        },
        {
            "code": "330122",
            "name": "桐庐县",
            "area": "remote",
            "seat": "城南街道",
            "lat": 29.793,
            "lon": 119.688,
        },
        {
            "code": "330127",
            "name": "淳安县",
            "area": "remote",
            "seat": "千岛湖镇",
            "lat": 29.608,
            "lon": 119.04,
        },
        {
            "code": "330182",
            "name": "建德市",
            "area": "remote",
            "seat": "新安江街道",
            "lat": 29.474,
            "lon": 119.281,
        },
    ],
}
