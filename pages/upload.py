"""Upload: drop quarterly extracts, see what was found or what is wrong; the upload history."""

from __future__ import annotations

import streamlit as st

from charts import display, plain_text
from loaders import config
from loaders.extracts import KINDS
from loaders.load import LoadResult, history, load_file, withdraw_upload
from loaders.periods import recent_quarter_labels
from loaders.problems import problems_csv, problems_frame
from loaders.store import DatabaseBusy
from metrics import indicators
from metrics.names import NamesError, names_path, save_user_names, user_names_path
from metrics.registry import measure_ids
from metrics.results import refresh_results
from metrics.targets import TargetsError, save_user_targets, targets_path, user_targets_path
from pages import state

# The history as people read it: headings in words, thousands separators, the time to the minute.
HISTORY_COLUMNS = {
    "upload": st.column_config.NumberColumn("Upload", format="%d"),
    "when": st.column_config.DatetimeColumn("When", format="D MMM YYYY, HH:mm"),
    "by": "By", "file": "File", "kind": "Kind",
    "rows": st.column_config.NumberColumn("Rows", format="localized"),
    "partnerships": "Partnerships", "periods": "Periods", "status": "Status",
    "demo": st.column_config.CheckboxColumn("Demo data"),
}

st.title("Upload extracts")
st.write(
    "Drop one or more quarterly CSV extracts (journeys, TOPs, DIP activity or published indicators), or the "
    "files you download from OHID Fingertips and NDTMS ViewIt, unchanged. "
    "Each file is checked in full: it loads whole, or not at all with a list of every problem. "
    "Loading the same file twice changes nothing; an upload can be withdrawn below."
)
user = state.signed_in_email()
if not state.may_change_data():
    st.info("You can browse and export every figure. Uploading, withdrawing and changing targets are for the "
            "people on the uploaders list; ask your dashboard administrator if you need to.",
            icon=":material/lock:")
    st.subheader("Upload history")
    st.dataframe(display.plain_table(state.uploads(state.data_version()).drop(columns=["sha256"])), hide_index=True,
                 width="stretch", column_config=HISTORY_COLUMNS)
    st.stop()

with st.form("upload", clear_on_submit=True):
    files = st.file_uploader("Extract files (CSV)", type=["csv", "txt"], accept_multiple_files=True)
    left, right = st.columns(2)
    kind = left.selectbox("Kind of extract", ["auto", *KINDS],
                          help="Auto-detect reads the header row. Fingertips downloads and NDTMS ViewIt exports "
                               "are taken as downloaded.")
    period = right.selectbox("Reporting quarter", ["from the dates in the file", *recent_quarter_labels()],
                             help="By default the quarter holding the file's latest date.")
    submitted = st.form_submit_button("Check and load", type="primary")

if submitted and files:
    results = []
    for upload in files:
        # The write is held for one file at a time: other sessions and the command line wait their turn.
        with st.spinner(f"Checking {plain_text.for_markdown(upload.name)}..."):
            try:
                with state.writing() as writer:
                    results.append(load_file(
                        writer, data=upload.getvalue(), file_name=upload.name, kind=kind,
                        period=None if period.startswith("from") else period, user=user,
                        measure_ids=measure_ids(), on_change=refresh_results,
                    ))
            except DatabaseBusy as exc:
                results.append(LoadResult(status="busy", file_name=upload.name, message=str(exc)))
    state.data_changed()
    # Rerun so that the sidebar and every figure show the new data at once; the results stay.
    st.session_state["upload_results"] = results
    st.rerun()
elif submitted:
    st.warning("Choose at least one file first.")

# A file's name and what the loader says about it (which quotes its header cells) are the file's text.
for number, result in enumerate(st.session_state.get("upload_results", [])):
    file_name, message = plain_text.for_markdown(result.file_name), plain_text.for_markdown(result.message)
    if result.status == "loaded":
        st.success(f"**{file_name}**: {message}", icon=":material/check_circle:")
    elif result.status == "duplicate":
        st.info(f"**{file_name}**: {message}", icon=":material/info:")
    elif result.status == "busy":
        st.error(f"**{file_name}** was not loaded, and nothing was changed: {message}",
                 icon=":material/hourglass_disabled:")
    else:
        count = len(result.problems)
        st.error(f"**{file_name}** was rejected with {count} {'problem' if count == 1 else 'problems'}; "
                 f"nothing was loaded. Fix {'it' if count == 1 else 'them'} and upload the file again.",
                 icon=":material/block:")
        st.dataframe(problems_frame(result.problems).rename(columns=str.capitalize).rename(
            columns={"Reason": "Problem"}), hide_index=True, width="stretch")
        st.download_button("Download the problems (CSV)", problems_csv(result.problems),
                           file_name=f"problems-{result.file_name}", mime="text/csv", key=f"problems-{number}")
    for warning in result.warnings:
        st.warning(plain_text.for_markdown(warning))

st.subheader("Upload history")
uploads = state.uploads(state.data_version())
if uploads.empty:
    st.info("Nothing has been uploaded yet. Run `make run` on a new machine to load the demo data, or upload "
            "your extracts above.")
else:
    st.dataframe(display.plain_table(uploads.drop(columns=["sha256"])), hide_index=True, width="stretch",
                 column_config=HISTORY_COLUMNS)
    active = [u for u in history(state.store()) if u.active]
    if active:
        with st.expander("Withdraw an upload"):
            chosen = st.selectbox("Upload", active,
                                  format_func=lambda u: f"{u.upload_id}: {plain_text.clean(u.file_name)} "
                                  f"({u.kind}, {u.rows:,} rows, {', '.join(u.periods)})")
            sure = st.checkbox(f"Yes, withdraw upload {chosen.upload_id}: its rows go and the figures return to "
                               "what they were before it.")
            if st.button("Withdraw", disabled=not sure, type="secondary"):
                try:
                    with state.writing() as writer:
                        withdraw_upload(writer, upload_id=chosen.upload_id, user=user, on_change=refresh_results)
                except DatabaseBusy as exc:
                    st.error(plain_text.for_markdown(exc))
                else:
                    state.data_changed()
                    st.success(f"Upload {chosen.upload_id} was withdrawn.")
                    st.rerun()
st.subheader("Targets")
st.write("The dashboard measures against the targets file below. Upload your own (TOML, in the format of "
         "`data/targets.toml`) to replace it for everyone; it is checked first and refused with every problem "
         "listed if anything is wrong.")
st.caption(f"In force: {plain_text.for_markdown(targets_path())}")
new_targets = st.file_uploader("Targets file (TOML)", type=["toml"], key="targets_file")
if new_targets is not None and st.button("Check and use these targets"):
    try:
        saved = save_user_targets(new_targets.getvalue().decode("utf-8"),
                                  known_indicators=indicators.known(state.store()))
    except (TargetsError, UnicodeDecodeError) as exc:
        st.error(plain_text.for_markdown(exc, lines=True))  # it quotes the uploaded file
    else:
        state.data_changed()
        st.success(f"{len(saved.targets)} targets are now in force.")
if user_targets_path().exists() and st.button("Go back to the default targets"):
    user_targets_path().unlink()
    state.data_changed()
    st.rerun()
st.subheader("Names of providers and teams")
st.write("Providers and teams are shown by name, with their codes, from a names file: a CSV with the columns "
         "`AGNCY`, `TEAM` (blank to name the provider) and `NAME`, as `data/names.csv`. Upload yours to replace it "
         "for everyone; it is checked first.")
st.caption(f"In force: {plain_text.for_markdown(names_path())}")
new_names = st.file_uploader("Names file (CSV)", type=["csv"], key="names_file")
if new_names is not None and st.button("Check and use these names"):
    try:
        named = save_user_names(new_names.getvalue().decode("utf-8-sig"))
    except (NamesError, UnicodeDecodeError) as exc:
        st.error(plain_text.for_markdown(exc, lines=True))  # it quotes the uploaded file
    else:
        state.data_changed()
        st.success(f"{len(named.providers)} providers and {len(named.teams)} teams are now named.")
if user_names_path().exists() and st.button("Go back to the default names"):
    user_names_path().unlink()
    state.data_changed()
    st.rerun()
st.caption(f"Database: {plain_text.for_markdown(config.database_path())}")
