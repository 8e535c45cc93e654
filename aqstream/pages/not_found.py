"""The page for an address that leads nowhere: the site's own header and a way home, in the visitor's language."""
import reflex as rx

from aqstream.components.ui import not_found_block, shell


def not_found_page() -> rx.Component:
    return shell(not_found_block())
