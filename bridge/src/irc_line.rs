//! One IRC protocol line (RFC 1459 with IRCv3 message tags): parsed from
//! what the server sends, and made safe to send.

/// `@tags :source COMMAND params… :trailing`
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IrcLine {
    pub tags: Vec<(String, String)>,
    pub source: Option<String>,
    pub command: String,
    pub params: Vec<String>,
}

impl IrcLine {
    pub fn parse(line: &str) -> Option<IrcLine> {
        let mut rest = line.trim_end_matches(['\r', '\n']);
        let mut parsed = IrcLine::default();
        if let Some(tagged) = rest.strip_prefix('@') {
            let (tags, after) = tagged.split_once(' ')?;
            parsed.tags = tags
                .split(';')
                .filter(|t| !t.is_empty())
                .map(|tag| match tag.split_once('=') {
                    Some((key, value)) => (key.to_owned(), unescape_tag(value)),
                    None => (tag.to_owned(), String::new()),
                })
                .collect();
            rest = after.trim_start_matches(' ');
        }
        if let Some(sourced) = rest.strip_prefix(':') {
            let (source, after) = sourced.split_once(' ')?;
            parsed.source = Some(source.to_owned());
            rest = after.trim_start_matches(' ');
        }
        let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
        if command.is_empty() {
            return None;
        }
        parsed.command = command.to_ascii_uppercase();
        while !rest.is_empty() {
            rest = rest.trim_start_matches(' ');
            if let Some(trailing) = rest.strip_prefix(':') {
                parsed.params.push(trailing.to_owned());
                break;
            }
            let (param, after) = rest.split_once(' ').unwrap_or((rest, ""));
            if !param.is_empty() {
                parsed.params.push(param.to_owned());
            }
            rest = after;
        }
        Some(parsed)
    }

    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A tag that is present and not empty.
    pub fn tag_value(&self, key: &str) -> Option<&str> {
        self.tag(key).filter(|v| !v.is_empty())
    }

    /// The nick of `nick!user@host`.
    pub fn nick(&self) -> Option<&str> {
        self.source
            .as_deref()
            .map(|s| s.split('!').next().unwrap_or(s))
    }

    pub fn param(&self, i: usize) -> Option<&str> {
        self.params.get(i).map(String::as_str)
    }
}

/// IRCv3 tag value escapes: `\:` `;`, `\s` space, `\\`, `\r`, `\n`.
fn unescape_tag(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(':') => out.push(';'),
            Some('s') => out.push(' '),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Text safe inside one outgoing line: nothing that could end the line
/// and start another command (CR, LF, NUL), no other control characters.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_twitch_privmsg_with_tags() {
        let line = IrcLine::parse(
            "@badge-info=;color=#1E90FF;display-name=Ronni\\sR;id=b34ccfc7-4977;tmi-sent-ts=1642696567751 \
             :ronni!ronni@ronni.tmi.twitch.tv PRIVMSG #dallas :Kappa Keepo Kappa\r\n",
        )
        .unwrap();
        assert_eq!(line.command, "PRIVMSG");
        assert_eq!(line.nick(), Some("ronni"));
        assert_eq!(line.params, ["#dallas", "Kappa Keepo Kappa"]);
        assert_eq!(line.tag("display-name"), Some("Ronni R"));
        assert_eq!(line.tag("badge-info"), Some(""));
        assert_eq!(line.tag_value("badge-info"), None);
        assert_eq!(line.tag("color"), Some("#1E90FF"));
    }

    #[test]
    fn parses_plain_lines() {
        let ping = IrcLine::parse("PING :tmi.twitch.tv").unwrap();
        assert_eq!(
            (ping.command.as_str(), ping.param(0)),
            ("PING", Some("tmi.twitch.tv"))
        );
        let welcome = IrcLine::parse(":irc.test 001 bridge :Welcome home").unwrap();
        assert_eq!(welcome.params, ["bridge", "Welcome home"]);
        let cap = IrcLine::parse(":irc.test CAP * LS :multi-prefix sasl").unwrap();
        assert_eq!(cap.params, ["*", "LS", "multi-prefix sasl"]);
        let clear = IrcLine::parse(":tmi.twitch.tv CLEARCHAT #dallas").unwrap();
        assert_eq!(clear.params, ["#dallas"]);
        assert_eq!(IrcLine::parse(""), None);
        assert_eq!(IrcLine::parse("@a=b"), None);
    }

    #[test]
    fn an_outgoing_line_cannot_carry_a_second_command() {
        assert_eq!(one_line("hi\r\nQUIT :bye\0\u{3}4"), "hiQUIT :bye4");
    }
}
