//! `create_reply`: the quick way from a handler's return value to a reply.

use alloc::string::String;
use alloc::vec::Vec;

use super::{Article, Articles, Reply, ReplyBody};
use crate::error::Error;
use crate::message::Message;

/// Something a handler can return as its answer to a message (wechatpy's `create_reply`
/// input): a string becomes a text reply, a list of articles a news reply, a [`Reply`] is
/// re-targeted at the message, and nothing (`()`, `None`, `""`, an empty list) is no reply.
///
/// Whether the reply is an mp or a WeCom one follows the message's [`Kind`]: replies to WeCom
/// messages carry `AgentID`.
///
/// One deliberate difference from wechatpy's WeCom `create_reply`: an empty string or an
/// empty list is no reply on both platforms (wechatpy's WeCom variant sends an empty text or
/// a news reply without articles, both of which WeChat rejects).
///
/// [`Kind`]: crate::message::Kind
pub trait IntoReply {
    /// Builds the reply to `message`.
    ///
    /// # Errors
    /// [`ConfigError::InvalidArgument`](crate::error::ConfigError::InvalidArgument) for more
    /// than [`Articles::MAX`] articles.
    fn into_reply(self, message: &Message) -> Result<Reply, Error>;
}

/// Builds the reply to `message` from a handler's answer (wechatpy's `create_reply`); see
/// [`IntoReply`] for what each input becomes.
///
/// ```
/// use wechat_core::message::{parse_message, Kind};
/// use wechat_core::reply::{create_reply, Article, ReplyBody};
///
/// let msg = parse_message(
///     "<xml><ToUserName>corp</ToUserName><FromUserName>zhangsan</FromUserName>\
///      <MsgType>text</MsgType><Content>hi</Content><AgentID>1000002</AgentID></xml>",
///     Kind::Work,
/// )?;
/// let reply = create_reply("hello", &msg)?;
/// assert_eq!((reply.source.as_str(), reply.target.as_str()), ("corp", "zhangsan"));
/// assert_eq!(reply.agent, Some(1000002));
///
/// let news = create_reply(vec![Article::new("Title", "https://example.com")], &msg)?;
/// assert!(matches!(news.body, ReplyBody::News(_)));
///
/// assert!(create_reply((), &msg)?.is_empty());
/// assert!(create_reply(vec![Article::default(); 9], &msg).is_err());
/// # Ok::<(), wechat_core::Error>(())
/// ```
///
/// # Errors
/// [`ConfigError::InvalidArgument`](crate::error::ConfigError::InvalidArgument) for more
/// than [`Articles::MAX`] articles.
pub fn create_reply(reply: impl IntoReply, message: &Message) -> Result<Reply, Error> {
    reply.into_reply(message)
}

impl IntoReply for Reply {
    /// Re-targets the reply at the message ([`Reply::retargeted`]).
    fn into_reply(self, message: &Message) -> Result<Reply, Error> {
        Ok(self.retargeted(message))
    }
}

impl IntoReply for ReplyBody {
    /// [`Reply::for_message`].
    fn into_reply(self, message: &Message) -> Result<Reply, Error> {
        Ok(Reply::for_message(message, self))
    }
}

impl IntoReply for &str {
    /// A text reply; no reply when empty.
    fn into_reply(self, message: &Message) -> Result<Reply, Error> {
        Ok(if self.is_empty() {
            Reply::empty()
        } else {
            Reply::text(message, self)
        })
    }
}

impl IntoReply for String {
    /// A text reply; no reply when empty.
    fn into_reply(self, message: &Message) -> Result<Reply, Error> {
        Ok(if self.is_empty() {
            Reply::empty()
        } else {
            Reply::text(message, self)
        })
    }
}

impl IntoReply for &String {
    /// A text reply; no reply when empty.
    fn into_reply(self, message: &Message) -> Result<Reply, Error> {
        self.as_str().into_reply(message)
    }
}

impl IntoReply for Articles {
    /// A news reply; no reply when empty.
    fn into_reply(self, message: &Message) -> Result<Reply, Error> {
        Ok(if self.is_empty() {
            Reply::empty()
        } else {
            Reply::for_message(message, ReplyBody::News(self))
        })
    }
}

impl IntoReply for Vec<Article> {
    /// A news reply; no reply when empty.
    fn into_reply(self, message: &Message) -> Result<Reply, Error> {
        Articles::try_from(self)?.into_reply(message)
    }
}

impl IntoReply for &[Article] {
    /// A news reply; no reply when empty.
    fn into_reply(self, message: &Message) -> Result<Reply, Error> {
        Articles::new(self.iter().cloned())?.into_reply(message)
    }
}

impl<const N: usize> IntoReply for [Article; N] {
    /// A news reply; no reply when empty.
    fn into_reply(self, message: &Message) -> Result<Reply, Error> {
        Articles::new(self)?.into_reply(message)
    }
}

impl IntoReply for Article {
    /// A news reply with one article.
    fn into_reply(self, message: &Message) -> Result<Reply, Error> {
        [self].into_reply(message)
    }
}

impl<T: IntoReply> IntoReply for Option<T> {
    /// No reply for `None`.
    fn into_reply(self, message: &Message) -> Result<Reply, Error> {
        match self {
            Some(reply) => reply.into_reply(message),
            None => Ok(Reply::empty()),
        }
    }
}

impl IntoReply for () {
    /// No reply.
    fn into_reply(self, _message: &Message) -> Result<Reply, Error> {
        Ok(Reply::empty())
    }
}
