//! The stores speak the call machine's language: [`run`] and [`run_async`] carry out one
//! [`StoreOp`] of `wechat-core`'s call machine and give back its [`StoreAnswer`], for the
//! blocking and the async transport alike.

use wechat_core::call::{StoreAnswer, StoreOp};

use crate::store::{AsyncTokenStore, StoreError, TokenStore};

/// What the machine is told when the store fails: the error's text, which never holds a
/// value.
fn failed(e: &StoreError) -> String {
    e.to_string()
}

/// Carries out `op` on a blocking store.
///
/// # Errors
/// Why the store failed (never a value).
pub fn run(store: &dyn TokenStore, op: StoreOp) -> Result<StoreAnswer, String> {
    let answer = match op {
        StoreOp::Get { key } => store.get(&key).map(StoreAnswer::Value),
        StoreOp::SetNx { key, value, ttl } => store.set_nx(&key, &value, ttl).map(StoreAnswer::Bool),
        StoreOp::Set { key, value, ttl } => store.set(&key, &value, ttl).map(|()| StoreAnswer::Done),
        StoreOp::CompareAndDelete { key, expected } => store.compare_and_delete(&key, &expected).map(StoreAnswer::Bool),
        StoreOp::CompareAndSet {
            key,
            expected,
            value,
            ttl,
        } => store
            .compare_and_set(&key, expected.as_deref(), &value, ttl)
            .map(StoreAnswer::Bool),
        StoreOp::Incr { key, ttl } => store.incr(&key, ttl).map(StoreAnswer::Count),
        _ => return Err(String::from("a store operation this version does not know")),
    };
    answer.map_err(|e| failed(&e))
}

/// Carries out `op` on an async store.
///
/// # Errors
/// Why the store failed (never a value).
pub async fn run_async(store: &dyn AsyncTokenStore, op: StoreOp) -> Result<StoreAnswer, String> {
    let answer = match op {
        StoreOp::Get { key } => store.get(&key).await.map(StoreAnswer::Value),
        StoreOp::SetNx { key, value, ttl } => store.set_nx(&key, &value, ttl).await.map(StoreAnswer::Bool),
        StoreOp::Set { key, value, ttl } => store.set(&key, &value, ttl).await.map(|()| StoreAnswer::Done),
        StoreOp::CompareAndDelete { key, expected } => {
            store.compare_and_delete(&key, &expected).await.map(StoreAnswer::Bool)
        }
        StoreOp::CompareAndSet {
            key,
            expected,
            value,
            ttl,
        } => store
            .compare_and_set(&key, expected.as_deref(), &value, ttl)
            .await
            .map(StoreAnswer::Bool),
        StoreOp::Incr { key, ttl } => store.incr(&key, ttl).await.map(StoreAnswer::Count),
        _ => return Err(String::from("a store operation this version does not know")),
    };
    answer.map_err(|e| failed(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;
    use core::time::Duration;

    #[test]
    fn every_operation_maps_to_the_store() {
        let store = MemoryStore::new();
        let ttl = Duration::from_secs(60);
        let op = |op| run(&store, op).unwrap();
        let set_nx = || StoreOp::SetNx {
            key: "k".into(),
            value: "a".into(),
            ttl,
        };
        assert_eq!(op(set_nx()), StoreAnswer::Bool(true));
        assert_eq!(op(set_nx()), StoreAnswer::Bool(false));
        assert_eq!(
            op(StoreOp::Get { key: "k".into() }),
            StoreAnswer::Value(Some("a".into()))
        );
        let cas = StoreOp::CompareAndSet {
            key: "k".into(),
            expected: Some("a".into()),
            value: "b".into(),
            ttl: Some(ttl),
        };
        assert_eq!(op(cas), StoreAnswer::Bool(true));
        let cad = StoreOp::CompareAndDelete {
            key: "k".into(),
            expected: "a".into(),
        };
        assert_eq!(op(cad), StoreAnswer::Bool(false));
        assert_eq!(op(StoreOp::Incr { key: "n".into(), ttl }), StoreAnswer::Count(1));
        let set = StoreOp::Set {
            key: "k".into(),
            value: "c".into(),
            ttl: None,
        };
        assert_eq!(op(set), StoreAnswer::Done);
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let got = rt.block_on(run_async(&store, StoreOp::Get { key: "k".into() }));
        assert_eq!(got, Ok(StoreAnswer::Value(Some("c".into()))));
    }
}
