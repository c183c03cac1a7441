//! The submit endpoints the mock serves: their paths and the task type their results carry.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    WanT2v,
    WanI2v,
    Wan26I2v,
    Wan27I2v,
}

impl Endpoint {
    pub const ALL: [Endpoint; 4] = [
        Endpoint::WanT2v,
        Endpoint::WanI2v,
        Endpoint::Wan26I2v,
        Endpoint::Wan27I2v,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Endpoint::WanT2v => "/v3/async/wan-t2v",
            Endpoint::WanI2v => "/v3/async/wan-i2v",
            Endpoint::Wan26I2v => "/v3/async/wan2.6-i2v",
            Endpoint::Wan27I2v => "/v3/async/wan2.7-i2v",
        }
    }

    /// `task.task_type` of its tasks. The Wan 2.6/2.7 values are our choice: undocumented.
    pub fn task_type(self) -> &'static str {
        match self {
            Endpoint::WanT2v => "WAN_TXT_TO_VIDEO",
            Endpoint::WanI2v => "WAN_IMG_TO_VIDEO",
            Endpoint::Wan26I2v => "WAN_2_6_IMG_TO_VIDEO",
            Endpoint::Wan27I2v => "WAN_2_7_IMG_TO_VIDEO",
        }
    }
}
