"""Options in the UI: the OCC builder, the option chain and the Options dock.

``OccBuilder`` builds a contract field by field (or from a pasted OCC symbol);
``OptionChainPanel`` shows one underlying's chain (``OptionChainModel``) with the
at-the-money strike highlighted and in-the-money cells shaded; ``OptionsPanel`` puts
them together; ``install_options(window)`` adds the dock to the main window.
"""

from .builder import OccBuilder
from .chain import OptionChainPanel
from .chain_model import OptionChainModel
from .panel import OptionsPanel, action_for, install_options, limit_for

__all__ = [
    "OccBuilder",
    "OptionChainModel",
    "OptionChainPanel",
    "OptionsPanel",
    "action_for",
    "install_options",
    "limit_for",
]
