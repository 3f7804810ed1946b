"""The words of the field app's screens. The app is one page that works offline, so
the page carries its words in both languages and switches between them on the phone."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

WORDS = {
    # signing the phone in
    "sign_in_title": _l("Sign this phone in"),
    "sign_in_intro": _l("Sign in once with a connection; the phone then stays signed in "
                        "for 30 days and works without one."),
    "email": _l("E-mail"), "password": _l("Password"),
    "phone_name": _l("Name of this phone"), "my_phone": _l("My phone"),
    "sign_in": _l("Sign in"), "sign_in_failed": _l("The phone could not be signed in."),
    "sign_in_offline": _l("Signing in needs a connection. Try again when the phone is online."),
    "sign_in_again": _l("Sign in again"), "sign_out": _l("Sign this phone out"),
    "sign_out_confirm": _l("Sign this phone out? Entries not yet sent stay on the phone."),
    "signed_in_as": _l("%(name)s, %(org)s, on %(phone)s."),
    "device_refused": _l("This phone is no longer signed in; nothing waiting was written. "
                         "Sign in again to send it."),
    # the home screen
    "home": _l("Home"),
    "online": _l("Online"), "offline": _l("Offline"), "sending": _l("Sending…"),
    "n_waiting": _l("%(n)s waiting"), "n_refused": _l("%(n)s refused"),
    "new_diary": _l("Diary entry"), "new_harvest": _l("Harvest"),
    "walk": _l("Walk the boundary"), "mark_point": _l("Mark a point"),
    "queue": _l("On this phone"), "queue_empty": _l("Nothing waiting to be sent."),
    "send_now": _l("Send now"), "sent": _l("Sent"),
    "areas": _l("Growing areas"), "open_batches": _l("Open batches"),
    "no_code": _l("(no code yet)"), "on_hold": _l("On hold:"),
    "kind_diary": _l("Diary"), "kind_harvest": _l("Harvest"),
    "kind_boundary": _l("Boundary"), "kind_point": _l("Point"),
    "state_waiting": _l("waiting"), "state_refused": _l("refused"), "state_sent": _l("sent"),
    "changed_on_server": _l("Changed on the server:"),
    "put_on_hold": _l("Batch %(lot)s is now on hold:"),
    "fix": _l("Fix"), "discard": _l("Discard"),
    "discard_confirm": _l("Discard this entry? It was not written on the server."),
    "saved_offline": _l("Saved on the phone. It will be sent when there is a connection."),
    "saved_sending": _l("Saved on the phone; sending."),
    # forms
    "pick_step": _l("What was done?"), "no_rules": _l("Connect once to load the diary's forms."),
    "subject": _l("Growing area or batch"), "when": _l("When"), "save": _l("Save"),
    "take_photo": _l("Take a photo"), "photo": _l("Photo"),
    "not_a_photo": _l("%(name)s is not a photo this phone can read."),
    "required": _l("%(field)s is required."),
    "not_a_choice": _l("%(field)s: pick one of the choices."),
    "number": _l("%(field)s must be a number."),
    "whole_number": _l("%(field)s must be a whole number."),
    "too_small": _l("%(field)s must be more than %(min)s."),
    "too_large": _l("%(field)s must be at most %(max)s."),
    "too_long": _l("%(field)s must be at most %(n)s characters."),
    "too_short": _l("%(field)s must be at least %(n)s characters."),
    "pattern": _l("%(field)s has characters that are not allowed."),
    "product": _l("Product"), "lot_code": _l("Lot code"),
    "lot_code_hint": _l("Leave empty to have one made."),
    "quantity": _l("Quantity"), "unit": _l("Unit"), "harvest_date": _l("Harvest date"),
    "pick_area": _l("Pick at least one growing area."),
    "point_kind": _l("What is here?"), "point_observation": _l("Field observation"),
    "point_packing_house": _l("Packing house"),
    "point_name": _l("Name (for a packing house)"), "here": _l("Use my position"),
    "locating": _l("Finding the position…"), "note": _l("Note"),
    "no_position": _l("No position yet: allow location and try again in the open."),
    "too_inaccurate": _l("The position is not accurate enough (worse than %(n)s m); try again "
                         "in the open."),
    # walking the boundary
    "walk_intro": _l("Walk along the edge of the plot with the phone. Positions less "
                     "accurate than %(n)s m are left out."),
    "area_name": _l("Name of the area"), "crop": _l("Crop"),
    "walk_start": _l("Start walking"), "walk_stop": _l("Stop"),
    "walk_continue": _l("Continue walking"), "walk_clear": _l("Start again"),
    "walk_clear_confirm": _l("Forget the positions recorded so far?"),
    "walk_save": _l("Save as a draft area"),
    "good_fixes": _l("Positions kept"), "dropped_fixes": _l("Left out (worse than %(n)s m)"),
    "area": _l("Area"), "perimeter": _l("Perimeter"), "fixes": _l("positions"),
    "too_few_fixes": _l("Too few good positions: %(good)s within %(limit)s m, at least %(n)s "
                        "are needed. Keep walking."),
    "gps_denied": _l("The phone does not allow this app to read the position."),
    "gps_unavailable": _l("The phone cannot find its position here."),
}


def words(languages) -> dict[str, dict[str, str]]:
    """Every word of the app in each of `languages`."""
    out = {}
    for code in languages:
        with force_locale(code):
            out[code] = {key: str(text) for key, text in WORDS.items()}
    return out
