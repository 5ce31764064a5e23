"""The Qt side of Tradedesk: widgets built on PySide6 and pyqtgraph."""
