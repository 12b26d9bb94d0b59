//! WeCom (work) API groups, `https://qyapi.weixin.qq.com`.
//!
//! One module per wechatpy group (`client.user` → `user`). Clients get an accessor per group
//! from [`impl_work_api!`](crate::impl_work_api).

/// The default API base of WeCom.
pub const API_BASE: &str = "https://qyapi.weixin.qq.com";

/// Adds one accessor per WeCom API group (`client.user()`, `client.department()`, ...) to a
/// client type implementing [`Caller`](crate::api::Caller).
#[macro_export]
macro_rules! impl_work_api {
    ($client:ty) => {
        impl $client {}
    };
}
