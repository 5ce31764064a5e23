"""What a broker supports, declared once per adapter (like CCXT's ``has``)."""

from __future__ import annotations

from pydantic import Field

from desktop.domain import DomainModel, Interval, OrderType, TimeInForce


class BrokerCapabilities(DomainModel):
    """A broker's declared features; the UI offers only what is declared here.

    ``order_types`` / ``time_in_force``: what create_order accepts; ``intervals``: bar
    intervals fetch_bars/watch_bars serve; ``modify_order``: modify is supported;
    ``options``: option instruments; ``streaming_bars`` / ``streaming_quotes`` /
    ``streaming_orders``: watch_* push (False means the adapter polls);
    ``allocation_groups``: advisor group orders; ``fractional``: fractional shares;
    ``replay``: a simulated market clock (paper broker) with speed control;
    ``preview_orders``: preview_order (what-if) is supported; ``order_questions``:
    create_order may ask questions through its ``confirm`` handler; ``poll_interval``:
    seconds between the UI's snapshot polls (balances, positions, fills) that the
    broker's rate limits sustain (the paper broker is local; IBKR paces its gateway).
    ``quotes``: watch_quotes serves quotes (an aggregator without market data does
    not); ``bid_ask``: those quotes carry bid and ask (False: a last price only, such
    as Connect Trade's bars stream; the watchlist shows "—" for them, not offered);
    ``intervals`` empty: no bars at all (the chart says so).
    ``exchange_timezone``: the IANA zone the broker's times are shown in (its
    exchange's; None = the machine's own zone).
    ``trade_refusal``: why orders cannot be sent at all (a read-only account of an
    aggregator, see :meth:`Broker.account_capabilities`), in a trader's words with
    what to do about it; "" when they can.
    ``close_position``: positions have ids and :meth:`Broker.close_position` closes
    one, fully or partly (the positions blotter's Close uses it); ``hedging``: several
    positions of one instrument can be open at once (each its own row);
    ``protection``: orders may carry a stop-loss and take-profit (OrderRequest
    ``stop_loss`` / ``take_profit``), changed with :meth:`Broker.modify_protection`
    on a working order and :meth:`Broker.modify_position` on a position;
    ``trailing_stop``: a stop-loss may be a trailing offset.
    ``adjusted_prices``: daily bars can be adjusted for splits and dividends, chosen
    with :meth:`Broker.set_adjusted_prices` (intraday bars and quotes never are).
    ``notional``: orders may give a dollar amount (``OrderRequest.notional``, in the
    account's currency) instead of a quantity; :meth:`Broker.check_request` refuses a
    dollar-amount order where it is False.
    ``accounts_poll_interval``: seconds between re-reads of the account list while
    connected (an aggregator's accounts come and go as the user links brokerages);
    None: the list is read once at connect.
    """

    order_types: frozenset[OrderType] = frozenset(OrderType)
    time_in_force: frozenset[TimeInForce] = frozenset(TimeInForce)
    intervals: tuple[Interval, ...] = tuple(Interval)
    modify_order: bool = True
    options: bool = False
    streaming_bars: bool = False
    streaming_quotes: bool = False
    streaming_orders: bool = False
    allocation_groups: bool = False
    fractional: bool = False
    replay: bool = False
    preview_orders: bool = False
    order_questions: bool = False
    poll_interval: float = Field(default=2.0, gt=0)
    paper: bool = Field(default=False, description="simulated money, no real orders")
    quotes: bool = True
    bid_ask: bool = True
    exchange_timezone: str | None = None
    trade_refusal: str = ""
    close_position: bool = False
    hedging: bool = False
    protection: bool = False
    trailing_stop: bool = False
    adjusted_prices: bool = False
    accounts_poll_interval: float | None = Field(default=None, gt=0)
    notional: bool = False

    @property
    def bars(self) -> bool:
        """Whether fetch_bars / watch_bars serve any interval."""
        return bool(self.intervals)
