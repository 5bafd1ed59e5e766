//! The messages of a room: grouped by sender, each with its local time.

use crate::components::avatar::initials;
use crate::components::local_time::LocalTime;
use crate::components::room_actions::RoomActions;
use leptos::prelude::*;
use model::message::ChatMessage;
use model::reaction::QUICK_REACTIONS;

#[component]
pub fn MessageItem(
    message: ChatMessage,
    first_of_group: bool,
    /// The viewer's account name: its mentions are highlighted.
    me: Option<String>,
) -> impl IntoView {
    let class = if first_of_group {
        "message first"
    } else {
        "message"
    };
    let actions = RoomActions::use_context();
    let mentioned = me.is_some_and(|me| message.mentions_account(&me));
    let mine = actions.is_some_and(|a| a.is_mine(&message));
    let seq = message.seq;
    let quote = message.reply_to.clone().map(|quote| {
        let text = match quote.gone.as_deref() {
            Some("deleted") => "Original message was deleted".to_owned(),
            Some(_) => "Original message is no longer available".to_owned(),
            None => quote.excerpt.clone(),
        };
        let target = quote.seq;
        view! {
            <a class="reply-quote" href=format!("#m-{target}") data-target=target.to_string()>
                <span class="quoted-from">{quote.from}</span>" "
                <span class="excerpt" class:gone=quote.gone.is_some()>{text}</span>
            </a>
        }
    });
    let reactions = (!message.reactions.is_empty()).then(|| {
        view! {
            <ul class="reactions">
                {message.reactions.iter().map(|r| {
                    let label = format!("{} {}", r.emoji, r.count);
                    view! {
                        <li>
                            <button type="button" class="reaction" class:me=r.me data-emoji=r.emoji.clone()
                                aria-pressed=r.me.to_string() aria-label=label>
                                {r.emoji.clone()}" "<span class="count">{r.count}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    });
    let edited = message.edited_at.is_some();
    let deleted = message.deleted;
    // The actions are drawn for the message in use (hovered, focused,
    // tapped) only, from code loaded on first use: they weigh on no page's
    // first load, and the server renders none. Clicks on reactions and
    // quotes, and which message is in use, are handled once for the whole
    // list (`browser::list_events`).
    let toolbar = (!deleted).then_some(()).and(actions).map(|actions| {
        move || {
            (actions.active.get() == Some(seq)).then(|| {
                view! {
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(message_toolbar(actions, seq))}
                    </Suspense>
                }
            })
        }
    });
    // An account's chosen colour, else a colour derived from the name.
    let style = crate::components::avatar::name_style(&message.from, message.color.as_deref());
    let (verified, emoji, via) = (message.verified, message.emoji.clone(), message.via.clone());
    view! {
            <li class=class id=format!("m-{}", message.seq) data-seq=message.seq.to_string() style=style
                tabindex="0" class:mentioned=mentioned class:deleted=deleted class:mine=mine
                // The "New messages" divider is drawn above it (style sheet).
                class:first-unread=move || actions.is_some_and(|a| a.first_unread.get() == Some(seq))
    >
                {first_of_group.then(|| view! {
                    // The avatar: the initials drawn on the name's colour
                    // by the style sheet.
                    <div class="meta" data-initials=initials(&message.from)>
                        <span class="from" class:verified=verified dir="auto">
                            {emoji.map(|e| view! { <span class="emoji">{e}" "</span> })}
                            {message.from.clone()}
                        </span>
                        {verified.then(|| view! {
                            <span class="badge" title="Registered account">"✓"</span>
                        })}
                        // Relayed by a bridge: a name of that network, not an account here.
                        {via.map(|via| view! { <span class="via">"via "<b>{via}</b></span> })}
                        <LocalTime ts=message.ts.clone() />
                    </div>
                })}
                // A line under another's header shows its time on hover
                // and focus.
                {(!first_of_group).then(|| view! {
                    <span class="line-time"><LocalTime ts=message.ts.clone() /></span>
                })}
                {quote}
                // A plain body is text nodes only; formatting is drawn from
                // the server's document by the one escaping renderer.
                {if deleted {
                    let text = if message.removed_by_moderator { "removed by a moderator" } else { "message deleted" };
                    view! { <p class="body tombstone">{text}</p> }.into_any()
                } else if let Some(doc) = message.rich.as_deref() {
                    view! {
                        <div class="body rich" dir="auto">
                            <div inner_html=model::rich::to_html(doc)></div>
                            {edited.then(|| view! { <span class="edited" title="edited">"(edited)"</span> })}
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <p class="body" dir="auto">{message.body}
                            {edited.then(|| view! { " "<span class="edited" title="edited">"(edited)"</span> })}
                        </p>
                    }.into_any()
                }}
                {reactions}
                {toolbar}
            </li>
        }
}

/// A message's actions: quick reactions, the emoji picker, reply, and
/// for the author edit and delete. Loaded apart from the first load.
#[cfg_attr(not(wasm_unsplit), leptos::lazy)]
async fn message_toolbar(actions: RoomActions, seq: u64) -> AnyView {
    let Some((mine, reacted)) = actions.messages.with_untracked(|list| {
        let at = list.binary_search_by_key(&seq, |m| m.seq).ok()?;
        let message = &list[at];
        let reacted: Vec<String> = message
            .reactions
            .iter()
            .filter(|r| r.me)
            .map(|r| r.emoji.clone())
            .collect();
        Some((actions.is_mine(message), reacted))
    }) else {
        return ().into_any();
    };
    view! {
        <div class="actions" role="toolbar" aria-label="Message actions"
            on:keydown=move |ev| close_on_escape(actions, &ev)>
            {QUICK_REACTIONS.iter().map(|emoji| {
                let on = !reacted.iter().any(|r| r == emoji);
                view! {
                    <button type="button" class="quick-react" aria-label=format!("React with {emoji}")
                        on:click=move |_| actions.react(seq, (*emoji).to_owned(), on)>{*emoji}</button>
                }
            }).collect_view()}
            <button type="button" class="more-emoji" aria-label="More emoji"
                on:click=move |_| actions.picking.update(|p| *p = if *p == Some(seq) { None } else { Some(seq) })>"＋"</button>
            <button type="button" class="reply" on:click=move |_| actions.reply_to(seq)>"Reply"</button>
            {(!mine).then(|| view! {
                <button type="button" class="mark-unread" on:click=move |_| actions.mark_unread(seq)>"Mark unread"</button>
            })}
            {mine.then(|| view! {
                <button type="button" class="edit" on:click=move |_| actions.edit(seq)>"Edit"</button>
                <button type="button" class="delete" on:click=move |_| actions.delete(seq)>"Delete"</button>
            })}
            {(!mine && actions.moderator).then(|| view! {
                <button type="button" class="remove" on:click=move |_| actions.delete(seq)>"Remove"</button>
            })}
        </div>
        {move || (actions.picking.get() == Some(seq)).then(|| view! { <EmojiPicker actions seq /> })}
    }
    .into_any()
}

/// Esc closes the emoji picker, else the message's actions.
fn close_on_escape(actions: RoomActions, ev: &leptos::ev::KeyboardEvent) {
    if ev.key() != "Escape" {
        return;
    }
    ev.stop_propagation();
    if actions.picking.get_untracked().is_some() {
        actions.picking.set(None);
    } else {
        actions.active.set(None);
    }
}

/// Every emoji to react with; its list is loaded when first opened.
#[component]
fn EmojiPicker(actions: RoomActions, seq: u64) -> impl IntoView {
    let choices = RwSignal::new(Vec::<String>::new());
    leptos::task::spawn_local(async move {
        choices.set(crate::components::room_actions::emoji_choices().await);
    });
    view! {
        <div class="emoji-picker" role="dialog" aria-label="Pick an emoji"
            on:keydown=move |ev| close_on_escape(actions, &ev)>
            {move || {
                let list = choices.get();
                if list.is_empty() {
                    return view! { <p class="muted">"Loading…"</p> }.into_any();
                }
                list.into_iter().map(|emoji| {
                    let label = format!("Pick {emoji}");
                    let shown = emoji.clone();
                    view! {
                        <button type="button" aria-label=label
                            on:click=move |_| actions.react(seq, emoji.clone(), true)>
                            {shown}
                        </button>
                    }
                }).collect_view().into_any()
            }}
        </div>
    }
}

/// The message the "new messages" divider is drawn above.
pub const FIRST_UNREAD: &str = ".message.first-unread";
