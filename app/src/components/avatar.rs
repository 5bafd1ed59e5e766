//! A person's avatar: their initials on their name's colour.

use leptos::prelude::*;
use model::look::name_look;

/// Up to two letters: the first, and the next capital or the one after a
/// `-`/`_` (`ada` → `A`, `AdaLovelace` → `AL`, `bo_chen` → `BC`).
pub fn initials(name: &str) -> String {
    let mut chars = name
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_');
    let Some(first) = chars.by_ref().find(|c| c.is_alphanumeric()) else {
        return "?".into();
    };
    let mut after_mark = false;
    let second = chars.find(|c| {
        let found = c.is_alphanumeric() && (c.is_uppercase() || after_mark);
        after_mark = !c.is_alphanumeric();
        found
    });
    first
        .to_uppercase()
        .chain(second.into_iter().flat_map(char::to_uppercase))
        .collect()
}

/// The style that colours a name (or an avatar) like its messages.
pub fn name_style(name: &str, color: Option<&str>) -> String {
    match color {
        Some(color) => format!("--name-color:{color}"),
        None => {
            let look = name_look(name);
            format!("--hue:{};--tone:{}", look.hue, look.tone)
        }
    }
}

#[component]
pub fn Avatar(name: String, #[prop(default = None)] color: Option<String>) -> impl IntoView {
    let style = name_style(&name, color.as_deref());
    view! { <span class="avatar" aria-hidden="true" style=style>{initials(&name)}</span> }
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_take_the_first_letter_and_the_next_word() {
        assert_eq!(initials("ada"), "A");
        assert_eq!(initials("AdaLovelace"), "AL");
        assert_eq!(initials("bo_chen"), "BC");
        assert_eq!(initials("x-2"), "X2");
        assert_eq!(initials("__"), "?");
    }
}
