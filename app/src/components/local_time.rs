//! A message time: the same text on the server and in the first client
//! render, the reader's local time after hydration.

use leptos::prelude::*;

/// True once the page has hydrated: what only the browser knows (local time,
/// the saved name) is shown from then on, so the first render matches the
/// server's.
#[derive(Clone, Copy)]
pub struct Hydrated(pub ReadSignal<bool>);

/// `ts` as local `HH:MM` once hydrated; before that (and on the server,
/// which does not know the reader's time zone) as UTC, so both first
/// renders agree.
#[component]
pub fn LocalTime(ts: String) -> impl IntoView {
    let hydrated = use_context::<Hydrated>().map(|h| h.0);
    let utc = ts.get(11..16).unwrap_or_default().to_string();
    let datetime = ts.clone();
    let text = move || {
        if hydrated.is_some_and(|h| h.get()) {
            local_hh_mm(&ts).unwrap_or_else(|| utc.clone())
        } else {
            utc.clone()
        }
    };
    let title = datetime.clone();
    view! { <time datetime=datetime title=title>{text}</time> }
}

#[cfg(feature = "hydrate")]
fn local_hh_mm(ts: &str) -> Option<String> {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(ts));
    let (h, m) = (date.get_hours(), date.get_minutes());
    (!f64::from(h).is_nan()).then(|| format!("{h:02}:{m:02}"))
}

#[cfg(not(feature = "hydrate"))]
fn local_hh_mm(_ts: &str) -> Option<String> {
    None
}
