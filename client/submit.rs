//! The request bodies that create a task, and how each is sent.

use std::future::Future;

use progenitor_client::ResponseValue;
use serde::Serialize;

use crate::generated::{
    types::{
        ErrorBody, SubmitTaskResponse, Wan26I2vRequest, Wan27I2vRequest, WanI2vRequest,
        WanT2vRequest,
    },
    Client,
};

type Sent = Result<ResponseValue<SubmitTaskResponse>, progenitor_client::Error<ErrorBody>>;

/// A body one of Novita's submit endpoints accepts. Implemented for the four generated request
/// types; [`crate::NovitaClient::submit`] takes any of them.
///
/// ```
/// use novita_video::{types::Wan27I2vRequest, SubmitRequest};
/// assert_eq!(Wan27I2vRequest::OPERATION, "submit_wan27_i2v");
/// assert_eq!(Wan27I2vRequest::SCHEMA, "Wan27I2vRequest");
/// ```
pub trait SubmitRequest: Serialize + Clone + Send + Sync {
    /// Name of the request schema in `openapi/novita.yaml`, whose rules are checked before sending.
    const SCHEMA: &'static str;
    /// The spec's `operationId`.
    const OPERATION: &'static str;

    /// Sends the body through the generated builder, without any check.
    fn send_raw<'a>(&'a self, api: &'a Client) -> impl Future<Output = Sent> + Send + 'a;
}

macro_rules! submit_request {
    ($body:ty, $schema:literal, $operation:ident) => {
        impl SubmitRequest for $body {
            const SCHEMA: &'static str = $schema;
            const OPERATION: &'static str = stringify!($operation);

            fn send_raw<'a>(&'a self, api: &'a Client) -> impl Future<Output = Sent> + Send + 'a {
                api.$operation().body(self.clone()).send()
            }
        }
    };
}

submit_request!(WanT2vRequest, "WanT2vRequest", submit_wan_t2v);
submit_request!(WanI2vRequest, "WanI2vRequest", submit_wan_i2v);
submit_request!(Wan26I2vRequest, "Wan26I2vRequest", submit_wan26_i2v);
submit_request!(Wan27I2vRequest, "Wan27I2vRequest", submit_wan27_i2v);
