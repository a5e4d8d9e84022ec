"""Plain messages for a warehouse or mart that is not there, instead of a traceback."""

from __future__ import annotations

import streamlit as st

from lib.formatting import markdown_code, markdown_text
from lib.warehouse import POSTGRES, WAREHOUSE_ENV, build_command, engine_of, shown_location, warehouse_location


def no_warehouse(reason: str) -> None:
    """No published warehouse can be read: say why and how to build one."""
    location = warehouse_location()
    st.title("Churn and retention")
    st.warning(f"**No data to show yet.** {markdown_text(reason)}", icon=":material/database:")
    if engine_of(location) == POSTGRES:
        st.markdown("Build the marts into this database (load the raw data, build, check and publish) with:")
        st.code(build_command(location), language="bash")
        st.caption(
            "The dashboard reads schema `marts` of the PostgreSQL database "
            f"{markdown_code(shown_location(location))}; set "
            f"`{WAREHOUSE_ENV}` to another `postgresql://` URL or to a DuckDB file to read another warehouse. "
            "See the README, section \"Dashboard on PostgreSQL\"."
        )
        return
    st.markdown(
        "Build the sample warehouse (generate data, build the marts, check them and publish) with:"
    )
    st.code(build_command(location), language="bash")
    st.caption(
        f"The dashboard reads the published file {markdown_code(location)}; set `{WAREHOUSE_ENV}` to read another "
        "one, or to a `postgresql://` URL to read a PostgreSQL database. To build your own raw data, see the "
        "README (`python -m churn_warehouse build --raw-path ...`)."
    )


def warehouse_held(reason: str) -> None:
    """The published file is held read-write by another program: say who and how to free it, not how to build."""
    st.title("Churn and retention")
    st.warning(f"**The warehouse is open in another program.** {markdown_text(reason)}", icon=":material/lock:")


def no_complete_month() -> None:
    """The warehouse is there but holds no complete month."""
    no_warehouse(
        "The published warehouse has no complete month with a paying customer yet, so there is nothing to "
        "chart. Check the raw data and the as-of date, then rebuild."
    )


def marts_missing(title: str, marts: list[str]) -> None:
    """A page's marts are not in the published file: its title, which marts, and how to build them."""
    st.title(title)
    names = ", ".join(f"`{mart}`" for mart in marts)
    st.info(
        f"**This page needs {names}, which the published warehouse does not have yet.** "
        "It appears once a build that includes it is published: rebuild with the command below "
        "(a failed build leaves the current marts in place).",
        icon=":material/hourglass_top:",
    )
    st.code(build_command(), language="bash")
