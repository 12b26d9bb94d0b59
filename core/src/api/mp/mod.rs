//! Official-account (mp) API groups, `https://api.weixin.qq.com`.
//!
//! One module per wechatpy group (`client.user` → [`user`]). Clients get an accessor per
//! group from [`impl_mp_api!`](crate::impl_mp_api).

pub mod user;

/// The default API base of official accounts.
pub const API_BASE: &str = "https://api.weixin.qq.com";

/// Adds one accessor per mp API group (`client.user()`, `client.menu()`, ...) to a client
/// type implementing [`Caller`](crate::api::Caller).
#[macro_export]
macro_rules! impl_mp_api {
    ($client:ty) => {
        impl $client {
            /// User management (wechatpy `client.user`).
            pub fn user(&self) -> $crate::api::mp::user::UserApi<'_, Self> {
                $crate::api::mp::user::UserApi::new(self)
            }
        }
    };
}
