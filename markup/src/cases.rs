//! The parser's table of cases: what a sender types and the HTML every
//! reader gets (empty: no formatting, the body is shown as typed). The
//! terminal and bridge renderers run the same table.
//!
//! Context for the table: `ada` and `Bo` are registered and mentioned,
//! `@room` is allowed, and the rooms `general` and `rust-help` exist.

pub struct Case {
    pub name: &'static str,
    pub input: &'static str,
    pub html: &'static str,
}

const fn case(name: &'static str, input: &'static str, html: &'static str) -> Case {
    Case { name, input, html }
}

pub const CASES: &[Case] = &[
    // Plain text stays the body.
    case("plain", "hello there", ""),
    case("plain lines", "one\ntwo", ""),
    case("clock is no shortcode", "at 10:30:45 ok", ""),
    case("unknown shortcode", "a :not_an_emoji_name: b", ""),
    case("lone star", "2 * 3 = 6", ""),
    case("snake case", "call snake_case_name now", ""),
    case("CJK", "日本語のテキスト", ""),
    case("RTL", "שלום עולם?", ""),
    case(
        "long word",
        concat!("x", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        "",
    ),
    // Emphasis.
    case("italic star", "*really*", "<p><em>really</em></p>"),
    case("italic underscore", "_really_", "<p><em>really</em></p>"),
    case("bold", "**bold** move", "<p><strong>bold</strong> move</p>"),
    case(
        "bold italic",
        "***both***",
        "<p><em><strong>both</strong></em></p>",
    ),
    case("strike", "~~gone~~", "<p><del>gone</del></p>"),
    case(
        "nested",
        "**a _b_ c**",
        "<p><strong>a <em>b</em> c</strong></p>",
    ),
    case("unclosed bold", "**open", ""),
    case("unclosed italic", "_open and *half", ""),
    case("intraword underscore", "foo_bar_baz", ""),
    case("escaped star", "\\*not\\*", "<p>*not*</p>"),
    // Code.
    case(
        "inline code",
        "run `cargo test`",
        "<p>run <code>cargo test</code></p>",
    ),
    case(
        "code keeps markers",
        "`**x** <b> _y_`",
        "<p><code>**x** &lt;b&gt; _y_</code></p>",
    ),
    case(
        "code keeps a url",
        "`https://e.org`",
        "<p><code>https://e.org</code></p>",
    ),
    case(
        "fenced",
        "```\nline 1\n  line 2\n```",
        "<pre><code>line 1\n  line 2\n</code></pre>",
    ),
    case(
        "fenced with lang",
        "```rust\nlet x = 1;\n```",
        "<pre><code class=\"lang-rust\"><span class=\"hl-keyword\">let</span> x <span class=\"hl-keyword\">=</span> <span class=\"hl-number\">1</span>;\n</code></pre>",
    ),
    case(
        "fenced unknown lang",
        "```nosuchlang\na <b>\n```",
        "<pre><code class=\"lang-nosuchlang\">a &lt;b&gt;\n</code></pre>",
    ),
    case(
        "unclosed fence runs to the end",
        "```\nopen",
        "<pre><code>open</code></pre>",
    ),
    case(
        "fence keeps heading marks",
        "```\n# not a heading\n---\n```",
        "<pre><code># not a heading\n---\n</code></pre>",
    ),
    case(
        "indented is no code",
        "text\n\n    indented",
        "<p>text</p><p>indented</p>",
    ),
    // Links.
    case(
        "bare url",
        "see https://example.org/a?b=1",
        "<p>see <a href=\"https://example.org/a?b=1\" rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\">https://example.org/a?b=1</a></p>",
    ),
    case(
        "trailing period",
        "go to https://example.org.",
        "<p>go to <a href=\"https://example.org\" rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\">https://example.org</a>.</p>",
    ),
    case(
        "url with parentheses",
        "(see https://en.wikipedia.org/wiki/Rust_(language))",
        "<p>(see <a href=\"https://en.wikipedia.org/wiki/Rust_(language)\" rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\">https://en.wikipedia.org/wiki/Rust_(language)</a>)</p>",
    ),
    case(
        "url then comma",
        "https://a.org/x, then",
        "<p><a href=\"https://a.org/x\" rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\">https://a.org/x</a>, then</p>",
    ),
    case(
        "http",
        "http://a.org",
        "<p><a href=\"http://a.org\" rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\">http://a.org</a></p>",
    ),
    case(
        "email",
        "mail ada@example.org",
        "<p>mail <a href=\"mailto:ada@example.org\" rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\">ada@example.org</a></p>",
    ),
    case("ftp is no link", "ftp://a.org/x", ""),
    case(
        "named link",
        "[the docs](https://docs.rs)",
        "<p><a href=\"https://docs.rs\" rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\" class=\"named-link\" data-href=\"https://docs.rs\" title=\"https://docs.rs\">the docs</a></p>",
    ),
    case(
        "named link with formatting",
        "[**big**](https://a.org)",
        "<p><a href=\"https://a.org\" rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\" class=\"named-link\" data-href=\"https://a.org\" title=\"https://a.org\"><strong>big</strong></a></p>",
    ),
    case(
        "javascript link is text",
        "[click](javascript:alert(1))",
        "",
    ),
    case(
        "javascript mixed case is text",
        "[x](JaVaScRiPt:alert(1))",
        "",
    ),
    case("data link is text", "[x](data:text/html,hi)", ""),
    case("relative link is text", "[x](/admin)", ""),
    case("bare javascript", "javascript:alert(1)", ""),
    case(
        "angle autolink",
        "<https://a.org>",
        "<p><a href=\"https://a.org\" rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\">https://a.org</a></p>",
    ),
    case(
        "image is text, its address a link",
        "![cat](https://a.org/cat.png)",
        "<p>![cat](<a href=\"https://a.org/cat.png\" rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\">https://a.org/cat.png</a>)</p>",
    ),
    case(
        "reference definition is text",
        "[x]: https://a.org",
        "<p>[x]: <a href=\"https://a.org\" rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\">https://a.org</a></p>",
    ),
    // No HTML, no headings, no rules.
    case("script tag", "<script>alert(1)</script>", ""),
    case("inline html", "a <b>b</b> c", ""),
    case("img onerror", "<img src=x onerror=alert(1)>", ""),
    case("entity as typed", "fish &amp; chips", ""),
    case("heading is text", "# Title", ""),
    case("setext is text", "Title\n===", ""),
    case(
        "rule is text",
        "a\n\n---\n\nb",
        "<p>a</p><p>---</p><p>b</p>",
    ),
    // Quotes and lists.
    case(
        "quote",
        "> said this\nreply",
        "<blockquote><p>said this<br>reply</p></blockquote>",
    ),
    case(
        "quote then text",
        "> said this\n\nreply",
        "<blockquote><p>said this</p></blockquote><p>reply</p>",
    ),
    case(
        "quote heading is text",
        "> # x",
        "<blockquote><p># x</p></blockquote>",
    ),
    case(
        "bullets",
        "- one\n- two",
        "<ul><li><p>one</p></li><li><p>two</p></li></ul>",
    ),
    case(
        "numbers",
        "1. one\n2. two",
        "<ol><li><p>one</p></li><li><p>two</p></li></ol>",
    ),
    case(
        "numbers from 3",
        "3. three\n4. four",
        "<ol start=\"3\"><li><p>three</p></li><li><p>four</p></li></ol>",
    ),
    case(
        "nested list",
        "- a\n  - b",
        "<ul><li><p>a</p><ul><li><p>b</p></li></ul></li></ul>",
    ),
    // Spoilers.
    case(
        "spoiler",
        "the end: ||he lives||",
        "<p>the end: <span class=\"spoiler\"><input type=\"checkbox\" aria-label=\"Show spoiler\"><span>he lives</span></span></p>",
    ),
    case(
        "spoiler with bold",
        "||**big**||",
        "<p><span class=\"spoiler\"><input type=\"checkbox\" aria-label=\"Show spoiler\"><span><strong>big</strong></span></span></p>",
    ),
    case("unpaired spoiler", "a || b", ""),
    case(
        "two spoilers",
        "||a|| and ||b||",
        "<p><span class=\"spoiler\"><input type=\"checkbox\" aria-label=\"Show spoiler\"><span>a</span></span> and <span class=\"spoiler\"><input type=\"checkbox\" aria-label=\"Show spoiler\"><span>b</span></span></p>",
    ),
    // Emoji, mentions, rooms.
    case(
        "shortcode",
        "party :tada:",
        "<p>party <span class=\"emoji\" title=\":tada:\">🎉</span></p>",
    ),
    case(
        "shortcode in code stays",
        "`:tada:`",
        "<p><code>:tada:</code></p>",
    ),
    case(
        "mention",
        "hi @ada",
        "<p>hi <a class=\"mention\" href=\"/dm/ada\" title=\"Message @ada\">@ada</a></p>",
    ),
    case(
        "mention as registered",
        "hi @bo",
        "<p>hi <a class=\"mention\" href=\"/dm/Bo\" title=\"Message @Bo\">@Bo</a></p>",
    ),
    case("unknown mention", "hi @zed", ""),
    case("mail is no mention", "x@ada", ""),
    case(
        "room mention",
        "@room look",
        "<p><span class=\"mention\">@room</span> look</p>",
    ),
    case(
        "room link",
        "see #general",
        "<p>see <a class=\"room-link\" href=\"/r/general\">#general</a></p>",
    ),
    case("unknown room", "see #nowhere", ""),
    case("C sharp", "I like C#", ""),
    // Lines and mixtures.
    case(
        "bold over lines",
        "**a\nb**",
        "<p><strong>a<br>b</strong></p>",
    ),
    case("blank lines", "a\n\nb", "<p>a</p><p>b</p>"),
    case(
        "RTL bold",
        "**שלום** עולם",
        "<p><strong>שלום</strong> עולם</p>",
    ),
    case(
        "CJK emphasis",
        "これは**重要**です",
        "<p>これは<strong>重要</strong>です</p>",
    ),
    case(
        "code in a list",
        "- `a`\n- b",
        "<ul><li><p><code>a</code></p></li><li><p>b</p></li></ul>",
    ),
];
