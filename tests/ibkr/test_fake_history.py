"""``GET /iserver/marketdata/history`` of the fake gateway over loopback HTTPS: every
documented bar size, aggregated from the paper market's bars; ``period`` in sessions
and trading time; ``startTime`` with both directions; ``outsideRth`` echoed; clear
400s for what is not documented."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from desktop.brokers.paper.intraday import session_open_utc
from tests.fakes.ibkr import running_gateway
from tests.fakes.ibkr.client import rest_client
from tests.fakes.ibkr.history import BAR_SIZES

AAPL = "265598"
MINUTES = {"1min": 1, "2min": 2, "3min": 3, "5min": 5, "10min": 10, "15min": 15, "30min": 30, "1h": 60, "2h": 120,
           "3h": 180, "4h": 240, "8h": 480}


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


def combine(rows: list[dict]) -> dict:
    """The bar IBKR builds out of consecutive smaller bars."""
    return {"o": rows[0]["o"], "h": max(r["h"] for r in rows), "l": min(r["l"] for r in rows), "c": rows[-1]["c"],
            "v": sum(r["v"] for r in rows), "t": rows[0]["t"]}


async def history(c, **params) -> dict:
    r = await c.get("/iserver/marketdata/history", params={"conid": AAPL, **params})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["points"] == len(body["data"])
    return body


def test_every_documented_bar_size_aggregates_the_paper_bars(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, rest_client(gw) as c:
            gw.state.pacing = False
            gw.paper.advance_minutes(200)  # into the session: a forming bar of every size
            minutes = {r["t"]: r for r in (await history(c, bar="1min", period="3d"))["data"]}
            days = {r["t"]: r for r in (await history(c, bar="1d", period="1y"))["data"]}
            assert set(BAR_SIZES) == {*MINUTES, "1d", "1w", "1m"}
            for bar, size in MINUTES.items():
                body = await history(c, bar=bar, period="2d")
                assert body["barLength"] == size * 60 and body["data"], bar
                assert len({at(r["t"]).date() for r in body["data"]}) == 2, bar  # 2d = two sessions
                for row in body["data"]:
                    start = at(row["t"])
                    offset = (start - session_open_utc(start.date())) / timedelta(minutes=1)
                    assert offset % size == 0 and offset < 390, (bar, start)  # laid on the session from 09:30
                    parts = [minutes[t] for t in sorted(minutes) if row["t"] <= t < row["t"] + size * 60_000
                             and at(t).date() == start.date()]
                    assert parts and combine(parts) == row, (bar, start)
            for bar, key in (("1w", lambda d: d.isocalendar()[:2]), ("1m", lambda d: (d.year, d.month))):
                body = await history(c, bar=bar, period="1y")
                checked = 0
                for row in body["data"]:
                    group = [days[t] for t in sorted(days) if key(at(t).date()) == key(at(row["t"]).date())]
                    if group[0]["t"] == row["t"]:  # a bucket wholly inside the year fetched
                        assert combine(group) == row, (bar, at(row["t"]))
                        checked += 1
                assert checked >= len(body["data"]) - 1 >= 10, bar
            last = (await history(c, bar="8h", period="1d"))["data"]
            assert len(last) == 1 and last[0]["t"] == int(session_open_utc(gw.paper.replay_now.date()).timestamp() * 1000)
    arun(go(), timeout=60)


def test_start_time_period_direction_and_outside_rth(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, rest_client(gw) as c:
            gw.state.pacing = False
            now = gw.paper.replay_now
            anchor = session_open_utc((now - timedelta(days=20)).date()) + timedelta(hours=2)  # a past trading day
            while anchor.weekday() >= 5:
                anchor += timedelta(days=1)
            start_time = anchor.strftime("%Y%m%d-%H:%M:%S")
            back = await history(c, bar="5min", period="1h", startTime=start_time)
            assert len(back["data"]) == 12 and at(back["data"][-1]["t"]) == anchor - timedelta(minutes=5)
            assert back["startTime"] == (anchor - timedelta(hours=1)).strftime("%Y%m%d-%H:%M:%S")
            ahead = await history(c, bar="5min", period="30min", startTime=start_time, direction="1")
            assert [at(r["t"]) for r in ahead["data"]] == [anchor + timedelta(minutes=5 * i) for i in range(6)]
            assert ahead["direction"] == -1  # the answer's field: "Value will always be -1" (spec enum)
            sessions = await history(c, bar="1h", period="3d", startTime=start_time)
            dates = sorted({at(r["t"]).date() for r in sessions["data"]})
            assert len(dates) == 3 and dates[-1] == anchor.date() and at(sessions["data"][-1]["t"]) < anchor
            daily = await history(c, bar="1d", period="2w", startTime=start_time)
            assert all(anchor - timedelta(weeks=2) <= at(r["t"]) < anchor for r in daily["data"])
            assert 8 <= len(daily["data"]) <= 10
            now_body = await history(c, bar="1min", period="5min")
            assert now_body["outsideRth"] is False and len(now_body["data"]) == 5
            rth = await history(c, bar="1min", period="5min", outsideRth="true")
            assert rth["outsideRth"] is True and rth["data"] == now_body["data"]  # no extended hours in the paper market
            capped = await history(c, bar="1min", period="30d")
            assert len(capped["data"]) == 1000  # IBKR's most points per answer
            for params, word in (({"bar": "7min"}, "bar"), ({"bar": "30S"}, "second"), ({"period": "31min"}, "period"),
                                 ({"period": "2x"}, "period"), ({"startTime": "2012-01-01"}, "startTime"),
                                 ({"direction": "1"}, "startTime"), ({"outsideRth": "maybe"}, "outsideRth")):
                r = await c.get("/iserver/marketdata/history", params={"conid": AAPL, "bar": "5min", "period": "1d",
                                                                        **params})
                assert r.status_code == 400 and word in r.json()["error"], (params, r.text)
    arun(go(), timeout=60)
