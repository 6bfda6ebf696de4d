"""The words the tablet's scripts show (static/js: sync.js, queue.js, record.js, form.js), by the
names the scripts use (``client_words`` in ``tablet``), written in English like every other
string and translated by the product's gettext catalog (``evaluator.catalogs``), so a translator
finds them beside the pages' words. Their ``{placeholders}`` are filled by the scripts, so these
are plain strings here, never %-formatted.
"""

from __future__ import annotations

from evaluator.catalogs import translations


def N_(text: str) -> str:  # noqa: N802 - the gettext marker name, for pybabel extract only
    return text


TABLET_WORDS: dict[str, str] = {
    "saved": N_("Draft saved"),
    "queued": N_("Completed, waiting to upload"),
    "done_sent": N_("This household is done and uploaded"),
    "done_queued": N_("This household is done and waiting for the network"),
    "edit_record": N_("Edit the record"),
    "send_now": N_("Send now"),
    "local_draft": N_("Draft on this tablet"),
    "local_queued": N_("Waiting to upload"),
    "local_sent": N_("Uploaded"),
    "local_conflict": N_("Refused by the server: open it"),
    "local_invalid": N_("Needs changes"),
    "local_superseded": N_("Replaced by a newer version"),
    "local_discarded": N_("Discarded"),
    "banner_signin": N_("{n} record(s) are saved on this tablet and wait to upload: the session "
                        "has ended, please sign in again."),
    "banner_redirect": N_("{n} record(s) wait to upload: the upload was sent to a sign-in page "
                          "(sign in again, or sign in to the Wi-Fi first)."),
    "banner_portal": N_("{n} record(s) wait to upload: this network answers with a web page "
                        "instead of the server (a hotel or public Wi-Fi sign-in page?); sign in "
                        "to the network first."),
    "banner_other": N_("{n} record(s) made by {user} are on this tablet; they upload only when "
                       "{user} signs in."),
    "banner_refused": N_("{n} record(s) were refused by the server: open the household to "
                         "resolve."),
    "sign_in_again": N_("Sign in again"),
    "storage_low": N_("Little storage left on this tablet (about {free}): upload soon."),
    "storage_broken": N_("This tablet's storage is not usable ({error}): records cannot be kept "
                         "offline; do not work offline."),
    "storage_persisted": N_("Storage: persistent, the browser will not clear it on its own."),
    "storage_not_persisted": N_("Storage: the browser did not grant persistent storage and may "
                                "clear it when space runs low; upload soon."),
    "storage_unsupported": N_("Storage: this browser cannot keep data persistently; upload soon."),
    "storage_usage": N_("Used {used}, about {free} free."),
    "local_other": N_("waits for {user} to sign in"),
    "reason_offline": N_("no network"),
    "reason_timeout": N_("the upload timed out (slow or no network)"),
    "reason_not_json": N_("the network answered with a web page, not the server's "
                          "acknowledgement (a Wi-Fi sign-in page?)"),
    "reason_redirect": N_("the upload was redirected to a sign-in page"),
    "reason_truncated": N_("the server's acknowledgement was incomplete"),
    "reason_wrong_ack": N_("the acknowledgement was not about this record"),
    "reason_server": N_("the server had a temporary error"),
    "reason_signin": N_("sign in again"),
    "reason_csrf": N_("the page's security token expired; it will retry"),
    "reason_cancelled": N_("stopped waiting; the record stays queued"),
    "reason_other": N_("not uploaded"),
    "save_failed": N_("Not saved: {error}"),
    "save_failed_long": N_("The last change was NOT saved on this tablet ({error}). Keep this "
                           "page open; free some storage, then change any answer to save again."),
    "storage_full": N_("this tablet's storage is full"),
    "not_queued": N_("The record could not be queued ({error}); the answers are still on this "
                     "page, try again."),
    "open_elsewhere": N_("This form is open in another window; a form is filled in one window at "
                         "a time."),
    "continue_here": N_("Continue here"),
    "taken_over": N_("This form was taken over in another window; this one no longer saves."),
    "sending": N_("Uploading this record, waiting for the server's acknowledgement… (the form is "
                  "locked)"),
    "stop_waiting": N_("Stop waiting"),
    "last_try": N_("Last try: {reason}"),
    "sent_at": N_("acknowledged by the server ({time})"),
    "forum_sent": N_("The forum record is uploaded"),
    "forum_queued": N_("The forum record is saved on this tablet, waiting to upload"),
    "waits_for_author": N_("Made by {user}; it uploads when {user} signs in"),
    "refused": N_("Refused by the server:"),
    "fix_and_send": N_("Fix and send again"),
    "editing": N_("Editing this household's record: it is sent as a new version; the earlier one "
                  "stays as it was."),
    "fixing": N_("Fix these, then complete and send again:"),
    "send_as_edit": N_("Send as an edit of the stored record"),
    "keep_both": N_("Keep both for the team lead"),
    "try_again": N_("Try again"),
    "discard": N_("Discard this tablet's record"),
    "discard_confirm": N_("Discard? This tablet's record will not be uploaded (it stays on the "
                          "tablet for reference)."),
    "discard_yes": N_("Yes, discard"),
    "discard_no": N_("Cancel"),
    "chain_waits": N_("{n} later edit(s) on this tablet wait for this record; the action uses "
                      "the newest answers."),
    "draft_of_other": N_("{user} has a draft of this form on this tablet; only {user} can "
                         "continue it."),
    "photo_no_room": N_("Not enough storage on this tablet: the photo was not kept. Upload "
                        "records first to free space."),
    "conflict_household_has_record": N_("The server already has a record for this household "
                                        "(from another tablet or evaluator)."),
    "conflict_forum_has_record": N_("The server already has a record of this forum on this "
                                    "dimension."),
    "conflict_instance_taken": N_("The server has a different record under the same number."),
    "conflict_replaced": N_("The record being edited was replaced by a newer version."),
    "conflict_finished": N_("This evaluation is finished and takes no more records; ask the team "
                            "lead."),
    "conflict_not_assigned": N_("This household is no longer assigned to you; ask the team lead."),
    "conflict_not_collector": N_("You are not an evaluator of this evaluation; ask the team "
                                 "lead."),
    "conflict_not_editable": N_("Only the team lead or the person who sent it may edit the "
                                "stored record; you can keep both."),
    "conflict_reviewed": N_("The stored record has been reviewed by the lead; keep both to let "
                            "the lead decide."),
    "conflict_wrong_user": N_("This record was made by another person; it uploads when they sign "
                              "in."),
    "conflict_edit_race": N_("The record being edited was just replaced by another edit."),
    "conflict_unknown_deprecated": N_("The record being edited is not on the server."),
    "conflict_not_found": N_("You are not on this evaluation."),
    "conflict_invalid": N_("The server found answers that need attention:"),
    "conflict_bad_request": N_("The record is malformed:"),
    "conflict_too_large": N_("The record with its photos is too large; use lower-resolution "
                             "photos."),
}


def tablet_words(lang: str) -> dict[str, str]:
    """Every tablet word in ``lang`` ("zh" or "en"), by the scripts' names."""
    catalog = translations(lang)
    return {name: catalog.gettext(english) for name, english in TABLET_WORDS.items()}
