"""PaperBroker: the embedded default broker, replaying real prices as a live market.

Composes the replayed market (:mod:`.market`) played minute by minute
(:mod:`.playback`), its listed options (:mod:`.option_desk`), the matching engine and
ledger (:mod:`.matching`, :mod:`.ledger`) and SQLite persistence (:mod:`.account_store`)
behind the :class:`desktop.brokers.base.Broker` interface, with :class:`ReplayControl`.
Its accounts and their engines are in :mod:`.account_book`; the offline advisor demo
(``advisor=True``: master + four clients, allocation groups, group orders, the "p6"
question) in :mod:`.advisor`, :mod:`.group_orders` and :mod:`.advisor_accounts`;
what-if previews (both modes) in :mod:`.preview`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from desktop.domain import (Bar, ConnectionState, Fill, Interval, Order, OrderRequest, OrderStatus,
                            QuestionHandler, Quote)

from ..base import Broker
from ..capabilities import BrokerCapabilities
from ..errors import OrderRejectedError, UnavailableError
from ..streams import Topic, counted
from ..transport import Supervisor
from .account_book import ACCOUNT_ID, AccountBook
from .account_store import AccountStore
from .advisor import AdvisorSide
from .advisor_accounts import CLIENT_IDS, MASTER_ID, advisor_groups
from .fx_market import FxMarket
from .group_orders import GroupDesk
from .market import MarketSimulator
from .market_data import MarketDataSide
from .markets import PaperMarkets
from .matching import MatchingEngine
from .option_desk import OptionDesk
from .options_market import OptionsMarket
from .order_input import checked_request, usable_price
from .playback import play_minutes
from .replay import DEFAULT_START
from .replay_loop import ReplayLoop

log = logging.getLogger(__name__)

CAPABILITIES = BrokerCapabilities(
    streaming_bars=True,
    streaming_quotes=True,
    streaming_orders=True,
    modify_order=True,
    options=True,
    replay=True,
    preview_orders=True,
    paper=True,
    exchange_timezone="America/New_York",
    adjusted_prices=True,
)
FX_LOAD_DELAY = 2.0
"""Seconds after connecting (with ``autostart``) before the ECB rates are read."""
ADVISOR_CAPABILITIES = CAPABILITIES.model_copy(update={"allocation_groups": True, "order_questions": True})


class PaperBroker(AccountBook, AdvisorSide, MarketDataSide, Broker):
    """The paper broker. One cash account ``PAPER`` with $100,000 to start.

    ``store_path``: SQLite file for orders, fills, ledger and replay clock (None keeps
    everything in memory). ``tick_seconds``: how often the replay loop wakes.
    ``autostart``: run the replay loop on connect (tests pass False and drive the
    clock with :meth:`advance_minutes`). ``advisor``: the offline Financial Advisor
    demo instead: a master account, four client accounts each with its own ledger and
    engine, allocation groups and group orders (see :mod:`.advisor`).
    ``connection_id``: the connection this instance serves (default "paper"); every
    object it reports carries it. ``supervisor``: runs the replay loop (see
    :mod:`.replay_loop`); a replay that keeps failing shows in ``watch_connection``.
    ``forex``: also list the currency pairs (:mod:`.fx_market`, issue 14) on the same
    clock; None (the default) lists them when the market is the shipped one
    (``market`` not given), not beside a market a test builds. With ``autostart`` the
    ECB rates load in the background :data:`FX_LOAD_DELAY` s after connecting (the
    replay plays the pairs once they are in; a pair asked for earlier loads them at
    once); without, connect loads them.
    """

    name = "paper"
    display_name = "Paper"

    def __init__(self, store_path: Path | str | None = None, *, tick_seconds: float = 0.05, autostart: bool = True,
                 market: MarketSimulator | None = None, advisor: bool = False, connection_id: str | None = None,
                 supervisor: Supervisor | None = None, forex: bool | None = None) -> None:
        self._connection_id = connection_id
        self.advisor = advisor
        self._account_ids: tuple[str, ...] = CLIENT_IDS if advisor else (ACCOUNT_ID,)
        self._engines: dict[str, MatchingEngine] = {}
        self._groups: GroupDesk | None = GroupDesk(advisor_groups(), self._engines) if advisor else None
        self._suppressed: set[str] = set()
        self._order_lock = asyncio.Lock()
        self.store_path = Path(store_path) if store_path is not None else None
        self.tick_seconds = tick_seconds
        self.autostart = autostart
        self._market = market
        self._forex = market is None if forex is None else forex
        self._markets: PaperMarkets | None = None
        self._fx_loading: asyncio.Future | None = None
        self._store = AccountStore(self.store_path, ACCOUNT_ID)
        self._task: asyncio.Task | None = None
        self._orders: Topic[Order] = Topic()
        self._quotes: Topic[Quote] = Topic(key=lambda q: q.symbol)
        self._bars: Topic[Bar] = Topic(key=lambda b: (b.symbol, b.interval, b.start))
        self._bar_subscriptions: dict[tuple[str, Interval], int] = {}
        self._option_watch: dict[str, int] = {}  # OCC symbol -> watch_quotes subscribers
        self._desk: OptionDesk | None = None
        self._connected = False
        self._replay: ReplayLoop | None = None
        self.supervisor = supervisor or Supervisor(name="Paper")
        self.supervisor.on_state = lambda task, state: self._session_states.publish(state)
        self._session_states: Topic[ConnectionState] = Topic()
        self._adjusted = True

    @classmethod
    def open(cls, store_path: Path | str, advisor: bool = False, connection_id: str | None = None) -> "PaperBroker":
        """The app's paper broker persisting to ``store_path`` (opened on connect)."""
        return cls(store_path, advisor=advisor, connection_id=connection_id)

    @property
    def capabilities(self) -> BrokerCapabilities:
        return ADVISOR_CAPABILITIES if self.advisor else CAPABILITIES

    @property
    def market(self) -> MarketSimulator:
        if self._market is None:
            raise UnavailableError("the paper broker is not connected")
        return self._market

    @property
    def markets(self) -> PaperMarkets:
        """The stocks and (``forex``) the currency pairs, routed by symbol."""
        if self._markets is None:
            raise UnavailableError("the paper broker is not connected")
        return self._markets

    @property
    def options(self) -> OptionsMarket:
        """The listed options of the replayed market (see :mod:`.options_market`)."""
        return self._option_desk.options

    @property
    def _option_desk(self) -> OptionDesk:
        """Quotes, search and expiry settlement of the listed options (see :mod:`.option_desk`)."""
        if self._desk is None:
            raise UnavailableError("the paper broker is not connected")
        return self._desk

    # -- life cycle ---------------------------------------------------------
    async def connect(self) -> None:
        """Open the store, restore the account and clock, start the replay loop."""
        if self._connected:
            return
        self._store.open()
        clock_state = self._store.load_clock()
        if self._market is None:
            self._market = await asyncio.to_thread(MarketSimulator.from_resources, clock_state)
        await asyncio.to_thread(lambda: self._market.symbols)  # load the CSV off the GUI thread
        fx = FxMarket(self._market.clock) if self._forex else None
        if fx is not None:  # the ECB rates (about 0.5 s of CPU): the app reads them once its first screen is up
            if self.autostart:
                self._fx_loading = asyncio.ensure_future(self._load_rates(fx))
            else:
                await asyncio.to_thread(lambda: fx.sim.history.symbols)
        self._markets = PaperMarkets(self._market, fx)
        self._desk = OptionDesk(self._market)
        for account in self._all_accounts():
            self._store.save_account(account)
        self._connected = True
        self._restore()
        if self.autostart:
            self._replay = ReplayLoop(lambda: self.market.clock, lambda minutes: self.advance_minutes(minutes),
                                      self._save_clock, self.supervisor, self.tick_seconds)
            self._task = self._replay.start()

    @staticmethod
    async def _load_rates(fx: FxMarket) -> None:
        """Read the ECB rates in a thread after FX_LOAD_DELAY seconds, so that they do
        not slow the first chart (a pair asked for earlier reads them at once)."""
        await asyncio.sleep(FX_LOAD_DELAY)
        await asyncio.to_thread(lambda: fx.sim.history.symbols)

    async def close(self) -> None:
        """Stop the replay, save everything, end every watch_* iterator."""
        if not self._connected:
            return
        self._connected = False
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.supervisor.close()
        if self._fx_loading is not None:
            self._fx_loading.cancel()  # a read already in its thread finishes there on its own
            await asyncio.gather(self._fx_loading, return_exceptions=True)
            self._fx_loading = None
        try:
            self._save_state()
        except UnavailableError:  # close anyway: what was saved before stays consistent
            log.exception("paper broker: the last state could not be saved on close")
        for topic in (self._orders, self._quotes, self._bars, self._session_states):
            topic.close()
        self._store.close()

    # -- ReplayControl ------------------------------------------------------
    @property
    def replay_now(self) -> datetime:
        return self.market.clock.now

    @property
    def replay_speed(self) -> int:
        return self.market.clock.speed

    @property
    def replay_finished(self) -> bool:
        return self.market.clock.finished

    def set_replay_speed(self, speed: int) -> None:
        """Replayed minutes per wall-clock second (0 pauses). Raises ValueError."""
        self.market.clock.speed = speed
        self._save_clock()

    async def reset_account(self) -> None:
        """Delete orders, fills and positions of every account; restore the starting cash
        ($100,000; the advisor demo's clients their own) and the first replay day."""
        clock = self.market.clock
        clock.seek(DEFAULT_START)
        clock.speed = 1
        self._engines.update({aid: self._fresh_engine(aid) for aid in self._account_ids})
        if self._groups is not None:
            self._groups = GroupDesk(self._groups.groups.values(), self._engines)
        self._store.save_state(self._engines, clock, reset=True)  # one transaction: a crash keeps the old account or the new
        for account in self._all_accounts():
            self._store.save_account(account)

    # -- the replay ---------------------------------------------------------
    def advance_minutes(self, minutes: int) -> None:
        """Play ``minutes`` replayed minutes now: match orders, publish bars/quotes/orders."""
        market, desk = self.markets, self._option_desk
        played = play_minutes(market, list(self._engines.values()), minutes, self._bar_subscriptions, desk.settle)
        self._publish_events(played.events)
        for bar in played.bars:
            self._bars.publish(bar)
        for symbol in played.touched:
            self._quotes.publish(self.owned(market.quote(symbol)))
        if played.touched:
            for symbol in list(self._option_watch):
                if (quote := desk.quote(symbol)) is not None:
                    self._quotes.publish(self.owned(quote))

    def _publish_events(self, events: list[Order | Fill]) -> None:
        """Save ``events`` with the whole state (one transaction), then publish the
        orders they changed; published even when saving fails (UnavailableError,
        raised afterwards: the events are saved with the next save)."""
        if not events:
            return
        if self._groups is not None:  # child changes move their group orders: save and publish those too
            events = events + self._groups.on_events(events)
        try:
            self._save_state(events)
        finally:
            latest: dict[str, Order] = {}
            for event in events:
                if isinstance(event, Order):
                    latest.pop(event.order_id, None)
                    latest[event.order_id] = event
            for order in latest.values():
                self._orders.publish(self.owned(order))

    def _flush(self) -> None:
        """Write the events an earlier failed save kept (UnavailableError if it fails again)."""
        if self._store.pending:
            self._save_state()

    def _save_clock(self) -> None:
        """Save the state with the clock now (periodically, and on a speed change);
        a failure is logged, the next save writes it."""
        try:
            self._save_state()
        except UnavailableError:
            log.exception("paper broker: the replay clock could not be saved")

    def _save_state(self, events: list[Order | Fill] | None = None) -> None:
        """Save ``events``, every engine's working state and the clock in one
        transaction (nothing before connecting). Raises UnavailableError."""
        self._store.save_state(self._engines, self._market.clock if self._market is not None else None, events or ())

    # -- orders -------------------------------------------------------------
    async def create_order(self, request: OrderRequest, *, confirm: QuestionHandler | None = None) -> Order:
        """Match ``request`` now against the replayed market.

        Idempotent per ``client_order_id``, also across restarts: a repeat returns the
        existing order (once it is saved: UnavailableError while the file cannot be written).
        Raises OrderRejectedError with the engine's reason (the rejected order is
        still recorded and published, as a broker's blotter shows it). An allocation
        group as ``account_id`` (advisor demo) places a group order: see
        :meth:`AdvisorSide._create_group_order` (asks question "p6" first).
        """
        self.check_request(request)
        request = checked_request(request)
        if self._group_desk(request.account_id) is not None:
            return self.owned(await self._create_group_order(request, confirm))
        if self._is_master(request.account_id):
            raise OrderRejectedError(f"the master account {MASTER_ID} does not trade; order for a client account or a group",
                                     code="REJECTED")
        engine, market = self.engine_for(request.account_id), self.market
        existing = engine.order_by_client_id(request.client_order_id)
        if existing is not None:
            self._flush()  # an answer only once what it answers is saved
            return self.owned(existing)
        self._check_replay()
        last, bar = self._market_now(request)
        events = engine.submit(request, market.clock.now, last, bar)
        self._publish_events(events)
        order = engine.get_order(events[0].order_id)
        if order.status is OrderStatus.REJECTED:
            raise OrderRejectedError(order.message, code="REJECTED", raw=order.model_dump(mode="json"))
        return self.owned(order)

    def _check_replay(self) -> None:
        if self.market.clock.finished:
            raise OrderRejectedError(
                "the replay has reached the end of its data (1 March 2013); reset the paper account to start over",
                code="REPLAY_FINISHED")

    def _market_now(self, request: OrderRequest) -> tuple[Decimal | None, Bar | None]:
        """(last price, forming minute bar) of a share's or pair's order; (None, None) for options."""
        market, symbol = self.markets, request.symbol
        known = symbol in market.symbols and not request.instrument.is_option  # options trade on their own quote
        return (market.last_price(symbol), market.minute_bar(symbol)) if known else (None, None)

    async def cancel_order(self, account_id: str, order_id: str) -> Order:
        if self._group_desk(account_id) is not None:
            return self.owned(self._cancel_group_order(account_id, order_id))
        engine = self.engine_for(account_id)
        order = engine.cancel(order_id, self.market.clock.now)
        self._publish_events([order])
        return self.owned(order)

    async def modify_order(self, account_id: str, order_id: str, *, amount: Decimal | None = None,
                           limit_price: Decimal | None = None, stop_price: Decimal | None = None,
                           confirm: QuestionHandler | None = None) -> Order:
        if self._group_desk(account_id) is not None:
            return self.owned(self._modify_group_order(account_id, order_id, amount=amount, limit_price=limit_price,
                                                       stop_price=stop_price))
        engine = self.engine_for(account_id)
        order = engine.modify(order_id, amount=amount, limit_price=limit_price, stop_price=stop_price, now=self.market.clock.now)
        self._publish_events([order])
        return self.owned(order)

    def estimate_commission(self, request: OrderRequest, price: Decimal) -> Decimal | None:
        """The paper commission model's charge for the whole order at ``price``; None
        when the amount or the price is not a usable number (NaN, infinity, <= 0, too large)."""
        if not (usable_price(request.amount) and usable_price(price)):
            return None
        return self.engine.fees(request.instrument)(request.amount, price, request.instrument.multiplier)

    # -- streams ------------------------------------------------------------
    async def watch_quotes(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        """Quotes of shares, currency pairs and listed options (OCC symbols: bid, ask, last = mid)."""
        known = self.markets.symbols
        wanted = {s.upper() for s in symbols if s.upper() in known}
        snapshot = [self.owned(self.markets.quote(s)) for s in sorted(wanted)]
        options = {s for s in symbols if s.upper() not in known and self._option_desk.quote(s) is not None}
        snapshot += [self.owned(q) for s in sorted(options) if (q := self._option_desk.quote(s)) is not None]
        wanted |= options
        with counted(self._option_watch, options):
            async for quote in self._quotes.subscribe(lambda q: q.symbol in wanted, initial=snapshot):
                yield quote

    async def watch_bars(self, symbol: str, interval: Interval) -> AsyncIterator[Bar]:
        interval = Interval(interval)
        symbol = self.markets.canonical(symbol)  # NotFoundError for unknown symbols
        with counted(self._bar_subscriptions, [(symbol, interval)]):
            async for bar in self._bars.subscribe(lambda b: b.symbol == symbol and b.interval is interval):
                yield bar

    async def watch_connection(self) -> AsyncIterator[ConnectionState]:
        """RECONNECTING "market replay failing: see the log" while the replay keeps
        failing, CONNECTED "market replay restored" once it works again; until close()."""
        async for state in self._session_states.subscribe(lambda s: True):
            yield state

    async def watch_orders(self, account_id: str) -> AsyncIterator[Order]:
        """The account's working orders now, then every change of its orders (a group's:
        its group orders; the master has none). See :class:`~desktop.brokers.base.Broker`."""
        if self._group_desk(account_id) is None and not self._is_master(account_id):
            self.engine_for(account_id)  # NotFoundError for unknown accounts
        working = [o for o in await self.fetch_orders(account_id) if o.is_open]  # no await inside: no change is missed
        async for order in self._orders.subscribe(lambda o: o.account_id == account_id and not (
                o.allocation_group and o.allocation_group != o.account_id), initial=working):
            yield order
