//! [`endpoints!`](crate::endpoints): one declaration per endpoint, from which its request
//! type, its [`Endpoint`](crate::api::Endpoint) impl, its façade method and its
//! [registry](crate::api::registry) entry are all derived.

/// Declares a file's endpoints.
///
/// ```ignore
/// crate::endpoints! {
///     name: "mp.user", product: Mp, facade: UserApi;
///
///     /// A follower's profile.
///     #[wechatpy("user.get")]
///     #[doc_url("https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html")]
///     fn get = GetUser: GET "/cgi-bin/user/info" => UserInfo {
///         /// The user's openid.
///         openid: String,
///         /// `zh_CN` (the default), `zh_TW` or `en`.
///         lang: Option<String>,
///     }
///
///     /// Sets a follower's remark name.
///     #[wechatpy("user.update_remark")]
///     #[doc_url("https://developers.weixin.qq.com/doc/offiaccount/User_Management/Configuring_user_notes.html")]
///     #[idempotent]
///     fn update_remark = UpdateRemark: POST "/cgi-bin/user/info/updateremark" => ApiOk {
///         openid: String,
///         remark: String,
///     }
///
///     // A hand-written `Endpoint` (multipart, binary answers, custom validation), registered:
///     #[wechatpy("media.upload")]
///     #[doc_url("https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/New_temporary_materials.html")]
///     #[required("type", "media")]
///     #[multipart]
///     upload = hand UploadMedia: POST "/cgi-bin/media/upload";
/// }
/// ```
///
/// Each plain entry makes:
///
/// * `pub struct GetUser { pub openid: String, pub lang: Option<String> }` with the field docs,
///   `Debug`, `Clone`, `PartialEq`, `Default` and `Serialize` (`Deserialize` too with the
///   `dynamic` feature); `Option` fields are optional (left out when `None`), every other
///   field is required;
/// * its [`Endpoint`](crate::api::Endpoint) impl: a GET puts the fields in the query string
///   (through [`QueryValue`](crate::api::QueryValue)), a POST sends the struct as its JSON
///   body; the answer is parsed into the output type with WeChat's error rules;
/// * with `fn`, a façade method `get(&self, openid: impl Into<String>)` taking the required
///   fields in order (the optional ones are left out: call the struct for those);
/// * its [`registry::Info`](crate::api::registry::Info), named `name` + `.` + the key
///   (`mp.user.get`), and its place in the file's `ENDPOINTS`.
///
/// Flags: `#[idempotent]` (a POST that sets a state and may be retried), `#[non_idempotent]`,
/// `#[no_token]`, `#[component_token]`, `#[suite_token]`, `#[provider_token]`,
/// `#[multipart]`, `#[query_and_json]`, `#[binary]` (the answer is a file), and for hand
/// endpoints `#[seeded]` (it implements `registry::dynamic::Seed` itself, to take the random
/// bytes of a multipart boundary when built from JSON). Field names are
/// the wire names (`r#type` for `type`); a GET's fields take no `serde` attributes.
#[macro_export]
macro_rules! endpoints {
    (name: $prefix:literal, product: $product:ident, facade: $facade:ident; $($entries:tt)*) => {
        $crate::__endpoints!(@entries [$prefix $product $facade] [] $($entries)*);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __endpoints {
    // ---- entries, one at a time ----
    (@entries $ctx:tt [$($name:ident)*]) => {
        /// This file's endpoints, for the [registry]($crate::api::registry).
        pub(crate) const ENDPOINTS: &[$crate::api::registry::Info] =
            &[$(<$name as $crate::api::registry::Declared>::INFO),*];
    };
    (@entries $ctx:tt [$($names:ident)*]
        $(#[doc = $doc:literal])*
        #[wechatpy($($py:literal),* $(,)?)]
        #[doc_url($url:literal)]
        $(#[$flag:ident])*
        fn $key:ident = $name:ident : $method:ident $path:literal => $out:ty { $($fields:tt)* }
        $($rest:tt)*
    ) => {
        $crate::__endpoints!(@fields [$ctx [$($doc)*] [$($py),*] $url [$($flag)*] fn $key $name $method $path [$out]] [] [] [] $($fields)*);
        $crate::__endpoints!(@entries $ctx [$($names)* $name] $($rest)*);
    };
    (@entries $ctx:tt [$($names:ident)*]
        $(#[doc = $doc:literal])*
        #[wechatpy($($py:literal),* $(,)?)]
        #[doc_url($url:literal)]
        $(#[$flag:ident])*
        $key:ident = hand $name:ident : $method:ident $path:literal ;
        $($rest:tt)*
    ) => {
        $crate::__endpoints!(@hand $ctx [$($py),*] $url [] [$($flag)*] $key $name $method $path);
        $crate::__endpoints!(@entries $ctx [$($names)* $name] $($rest)*);
    };
    (@entries $ctx:tt [$($names:ident)*]
        $(#[doc = $doc:literal])*
        #[wechatpy($($py:literal),* $(,)?)]
        #[doc_url($url:literal)]
        #[required($($req:literal),* $(,)?)]
        $(#[$flag:ident])*
        $key:ident = hand $name:ident : $method:ident $path:literal ;
        $($rest:tt)*
    ) => {
        $crate::__endpoints!(@hand $ctx [$($py),*] $url [$($req),*] [$($flag)*] $key $name $method $path);
        $crate::__endpoints!(@entries $ctx [$($names)* $name] $($rest)*);
    };
    (@entries $ctx:tt [$($names:ident)*]
        $(#[doc = $doc:literal])*
        #[wechatpy($($py:literal),* $(,)?)]
        #[doc_url($url:literal)]
        $(#[$flag:ident])*
        $key:ident = $name:ident : $method:ident $path:literal => $out:ty { $($fields:tt)* }
        $($rest:tt)*
    ) => {
        $crate::__endpoints!(@fields [$ctx [$($doc)*] [$($py),*] $url [$($flag)*] _ $key $name $method $path [$out]] [] [] [] $($fields)*);
        $crate::__endpoints!(@entries $ctx [$($names)* $name] $($rest)*);
    };

    // ---- a plain entry's fields, one at a time: [all] [required names] [façade parameters] ----
    (@fields $e:tt $all:tt $req:tt $par:tt) => {
        $crate::__endpoints!(@emit $e $all $req $par);
    };
    (@fields $e:tt [$($all:tt)*] $req:tt $par:tt
        $(#[$m:meta])* $f:ident : Option<$t:ty> $(, $($rest:tt)*)?
    ) => {
        $crate::__endpoints!(@fields $e [$($all)* [[$(#[$m])* #[serde(default, skip_serializing_if = "Option::is_none")]] $f [Option<$t>]]] $req $par $($($rest)*)?);
    };
    (@fields $e:tt [$($all:tt)*] [$($req:ident)*] [$($par:tt)*]
        $(#[$m:meta])* $f:ident : $t:ty $(, $($rest:tt)*)?
    ) => {
        $crate::__endpoints!(@fields $e [$($all)* [[$(#[$m])*] $f [$t]]] [$($req)* $f] [$($par)* [$f $t]] $($($rest)*)?);
    };

    // ---- a plain entry ----
    (@emit [[$prefix:literal $product:ident $facade:ident] [$($doc:literal)*] [$($py:literal),*] $url:literal [$($flag:ident)*] $fnkw:tt $key:ident $name:ident $method:ident $path:literal [$out:ty]]
        [$([[$($fm:tt)*] $f:ident [$t:ty]])*] [$($req:ident)*] [$([$p:ident $pt:ty])*]
    ) => {
        $(#[doc = $doc])*
        #[doc = ""]
        #[doc = concat!("`", stringify!($method), " ", $path, "` · wechatpy `", $crate::__endpoints!(@first $($py)*), "` · [official documentation](", $url, ")")]
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
        #[cfg_attr(feature = "dynamic", derive(serde::Deserialize), serde(deny_unknown_fields))]
        pub struct $name {
            $( $($fm)* pub $f: $t, )*
        }

        impl $crate::api::Endpoint for $name {
            type Output = $out;

            fn request(&self) -> ::core::result::Result<$crate::http::ApiRequest, $crate::Error> {
                $crate::__endpoints!(@request $method self [$($f)*])
            }

            fn parse(&self, response: $crate::http::ApiResponse) -> ::core::result::Result<$out, $crate::Error> {
                $crate::api::json::parse_json(&response)
            }
        }

        #[cfg(feature = "dynamic")]
        impl $crate::api::registry::dynamic::Seed for $name {}

        $crate::__endpoints!(@declared [$prefix $product] [$($py),*] $url [$(stringify!($req)),*] [$($flag)*] $key $name $method $path);
        $crate::__endpoints!(@facade $fnkw $facade [$($doc)*] $key $name [$out] [$([$p $pt])*]);
    };

    // ---- a hand-written endpoint ----
    (@hand [$prefix:literal $product:ident $facade:ident] [$($py:literal),*] $url:literal [$($req:literal),*] [$($flag:ident)*] $key:ident $name:ident $method:ident $path:literal) => {
        $crate::__endpoints!(@seed $name [$($flag)*]);
        $crate::__endpoints!(@declared [$prefix $product] [$($py),*] $url [$($req),*] [$($flag)*] $key $name $method $path);
    };

    // a hand endpoint implements `Seed` itself when flagged `#[seeded]`
    (@seed $name:ident []) => {
        #[cfg(feature = "dynamic")]
        impl $crate::api::registry::dynamic::Seed for $name {}
    };
    (@seed $name:ident [seeded $($rest:ident)*]) => {};
    (@seed $name:ident [$first:ident $($rest:ident)*]) => {
        $crate::__endpoints!(@seed $name [$($rest)*]);
    };

    (@declared [$prefix:literal $product:ident] [$($py:literal),*] $url:literal [$($req:expr),*] [$($flag:ident)*] $key:ident $name:ident $method:ident $path:literal) => {
        impl $crate::api::registry::Declared for $name {
            #[cfg(not(feature = "dynamic"))]
            const INFO: $crate::api::registry::Info =
                $crate::__endpoints!(@info [$prefix $product] [$($py),*] $url [$($req),*] $key $name $method $path)$(.$flag())*;
            #[cfg(feature = "dynamic")]
            const INFO: $crate::api::registry::Info =
                $crate::__endpoints!(@info [$prefix $product] [$($py),*] $url [$($req),*] $key $name $method $path)
                    .dynamic($crate::api::registry::Dynamic {
                        request: $crate::api::registry::dynamic::request::<$name>,
                        response: $crate::api::registry::dynamic::response::<$name>,
                    })
                    $(.$flag())*;
        }
    };
    (@info [$prefix:literal $product:ident] [$($py:literal),*] $url:literal [$($req:expr),*] $key:ident $name:ident $method:ident $path:literal) => {
        $crate::api::registry::Info::declared(
            concat!($prefix, ".", stringify!($key)),
            $crate::api::registry::Product::$product,
            $crate::__endpoints!(@method $method),
            $path,
            &[$($crate::api::param_name($req)),*],
            &[$($py),*],
            $url,
            $crate::api::registry::parse_with::<$name>,
        )
    };

    (@request GET $self:ident [$($f:ident)*]) => {{
        #[allow(unused_mut)]
        let mut request = <Self as $crate::api::registry::Declared>::INFO.request();
        $( $crate::api::QueryValue::push_to(&$self.$f, $crate::api::param_name(stringify!($f)), &mut request.query); )*
        Ok(request)
    }};
    (@request POST $self:ident [$($f:ident)*]) => {
        <Self as $crate::api::registry::Declared>::INFO.request().json_of($self)
    };

    (@method GET) => { $crate::http::Method::Get };
    (@method POST) => { $crate::http::Method::Post };

    (@first) => { "" };
    (@first $py:literal $($rest:literal)*) => { $py };

    (@facade _ $($rest:tt)*) => {};
    (@facade fn $facade:ident [$($doc:literal)*] $key:ident $name:ident [$out:ty] [$([$p:ident $pt:ty])*]) => {
        impl<'c, C: $crate::api::Caller + ?Sized> $facade<'c, C> {
            $(#[doc = $doc])*
            #[allow(clippy::needless_update)]
            pub fn $key(&self, $($p: impl Into<$pt>),*) -> C::Ret<'c, $out> {
                self.0.call($name { $($p: $p.into(),)* ..Default::default() })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use alloc::string::String;
    use alloc::vec::Vec;

    use crate::api::registry::{Declared, Fields, Product};
    use crate::api::testing::{MockCaller, Mp};
    use crate::api::{ApiOk, Endpoint};
    use crate::http::{Idempotency, Method, TokenKind};

    crate::facade!(
        /// A façade for the test declarations.
        TestApi
    );

    crate::endpoints! {
        name: "mp.test", product: Mp, facade: TestApi;

        /// No fields at all.
        #[wechatpy()]
        #[doc_url("https://example.com/a")]
        fn ping = Ping: GET "/cgi-bin/ping" => ApiOk {}

        /// A raw identifier and a query list.
        #[wechatpy("test.kind", "test.kind2")]
        #[doc_url("https://example.com/b")]
        #[no_token]
        fn kind = Kind: GET "/cgi-bin/kind" => ApiOk {
            /// The type.
            r#type: String,
            /// A count.
            count: Option<u32>,
        }

        /// A POST body with nested optional data.
        #[wechatpy("test.post")]
        #[doc_url("https://example.com/c")]
        #[idempotent]
        fn post = Post: POST "/cgi-bin/post" => ApiOk {
            /// A list.
            items: Vec<String>,
            /// Maybe.
            note: Option<Vec<String>>,
        }
    }

    #[test]
    fn declarations_make_requests_entries_and_facades() {
        let kind = Kind {
            r#type: "image".into(),
            count: Some(3),
        }
        .request()
        .unwrap();
        assert_eq!(kind.url("https://x", None), "https://x/cgi-bin/kind?type=image&count=3");
        assert_eq!(kind.token, TokenKind::None);
        let info = Kind::INFO;
        assert_eq!(
            (info.name, info.product, info.method),
            ("mp.test.kind", Product::Mp, Method::Get)
        );
        assert_eq!(
            (info.required, info.wechatpy),
            (&["type"][..], &["test.kind", "test.kind2"][..])
        );
        assert_eq!(info.fields, Fields::Query);

        let post = Post {
            items: alloc::vec!["a".into()],
            note: None,
        }
        .request()
        .unwrap();
        assert_eq!(post.body.unwrap().bytes, br#"{"items":["a"]}"#);
        assert_eq!(
            (post.idempotency, Post::INFO.idempotency),
            (Idempotency::Idempotent, Idempotency::Idempotent)
        );
        assert_eq!(Ping::INFO.required, &[] as &[&str]);
        assert_eq!(ENDPOINTS.len(), 3);

        let mock = MockCaller::<Mp>::default();
        TestApi::new(&mock).kind("voice").unwrap();
        TestApi::new(&mock).post(alloc::vec![String::from("b")]).unwrap();
        TestApi::new(&mock).ping().unwrap();
        let sent = mock.requests.borrow();
        assert_eq!(sent[0].query, [("type".into(), String::from("voice"))]);
        assert_eq!(sent[2].path, "/cgi-bin/ping");
    }
}
