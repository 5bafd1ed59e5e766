//! A person's avatar: their initials on their name's colour.

use leptos::prelude::*;
use model::look::name_look;

/// Up to two letters: the first, and the next capital or the one after a
/// `-`/`_` (`ada` → `A`, `AdaLovelace` → `AL`, `bo_chen` → `BC`). ASCII
/// rules only: Unicode's case tables would weigh on the first load, and a
/// name that starts otherwise shows its first character as it is.
pub fn initials(name: &str) -> String {
    let Some(first) = name.chars().find(|c| !matches!(c, '-' | '_')) else {
        return "?".into();
    };
    let mut after_mark = false;
    let second = name.chars().skip_while(|c| *c != first).skip(1).find(|c| {
        let found = c.is_ascii_alphanumeric() && (c.is_ascii_uppercase() || after_mark);
        after_mark = matches!(c, '-' | '_');
        found
    });
    [Some(first), second]
        .into_iter()
        .flatten()
        .map(|c| c.to_ascii_uppercase())
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
