"""The trading domain: pure data and rules. No Qt, no I/O.

Models are frozen pydantic v2 models using Decimal for prices, quantities and money.
"""

from .account import Account, Balance
from .allocation import (
    AccountValues,
    AllocationError,
    AllocationGroup,
    AllocationMember,
    AllocationMethod,
    InvalidMembersError,
    InvalidQuantityError,
    MissingAccountValueError,
    QuantityMismatchError,
    ZeroTotalError,
    allocate,
)
from .analytics import momentum, position_weights, total_unrealized_pnl, vwap
from .base import BrokerModel, DomainModel, field_errors, utc_now
from .enums import AssetClass, Interval, OrderSide, OrderStatus, OrderType, ProtectionType, QuantityUnit, TimeInForce
from .connection_state import ConnectionState, ConnectionStatus
from .consolidation import CONSOLIDATED_ACCOUNT, ConsolidatedPosition, consolidate_positions
from .fill import Fill
from .instrument import Instrument
from .market import Bar, MarketSession, Quote
from .occ import OccSymbolError, canonical_occ, format_occ, parse_occ
from .options import OptionAction, OptionChain, OptionContract, OptionQuote, OptionRight, OptionStyle, PositionEffect
from .order_flow import OrderPreview, OrderQuestion, QuestionHandler
from .order import Order, OrderRequest, describe_order, new_client_order_id, order_from_request
from .position import Position

__all__ = [
    "Account",
    "AccountValues",
    "AllocationError",
    "AllocationGroup",
    "AllocationMember",
    "AllocationMethod",
    "InvalidMembersError",
    "InvalidQuantityError",
    "MissingAccountValueError",
    "QuantityMismatchError",
    "ZeroTotalError",
    "allocate",
    "AssetClass",
    "Balance",
    "Bar",
    "BrokerModel",
    "DomainModel",
    "CONSOLIDATED_ACCOUNT",
    "ConnectionState",
    "ConnectionStatus",
    "ConsolidatedPosition",
    "consolidate_positions",
    "Fill",
    "OrderPreview",
    "OrderQuestion",
    "QuestionHandler",
    "Instrument",
    "OccSymbolError",
    "OptionAction",
    "OptionChain",
    "OptionContract",
    "OptionQuote",
    "OptionRight",
    "OptionStyle",
    "PositionEffect",
    "canonical_occ",
    "format_occ",
    "parse_occ",
    "Interval",
    "Order",
    "OrderRequest",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "Position",
    "ProtectionType",
    "QuantityUnit",
    "MarketSession",
    "Quote",
    "TimeInForce",
    "describe_order",
    "field_errors",
    "momentum",
    "new_client_order_id",
    "order_from_request",
    "position_weights",
    "total_unrealized_pnl",
    "utc_now",
    "vwap",
]
