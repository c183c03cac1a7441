//! The submit endpoints the mock serves, as one table: path, the task type their results carry,
//! and when Novita retired the model (its changelog), read independently of the spec.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    WanT2v,
    WanI2v,
    Wan26I2v,
    Wan27I2v,
    Wan27T2v,
    Wan27R2v,
    Wan27Videoedit,
    KlingStdT2v,
    KlingProT2v,
    Kling4kT2v,
    KlingStdI2v,
    KlingProI2v,
    Kling4kI2v,
    KlingMotionControl,
}

/// A model Novita no longer serves: since when, and what it names instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retirement {
    pub on: &'static str,
    pub replaced_by: &'static str,
}

struct Entry {
    endpoint: Endpoint,
    path: &'static str,
    /// `task.task_type` of its tasks. Only the Wan 2.1 values are documented; the others (Wan
    /// 2.6 and 2.7, Kling 3.0) are our choice.
    task_type: &'static str,
    retired: Option<Retirement>,
}

const CATALOGUE: [Entry; 14] = [
    Entry {
        endpoint: Endpoint::WanT2v,
        path: "/v3/async/wan-t2v",
        task_type: "WAN_TXT_TO_VIDEO",
        retired: Some(Retirement {
            on: "2026-08-19",
            replaced_by: "Wan 2.7 Text-to-Video",
        }),
    },
    Entry {
        endpoint: Endpoint::WanI2v,
        path: "/v3/async/wan-i2v",
        task_type: "WAN_IMG_TO_VIDEO",
        retired: Some(Retirement {
            on: "2026-08-19",
            replaced_by: "Wan 2.7 Image-to-Video",
        }),
    },
    Entry {
        endpoint: Endpoint::Wan26I2v,
        path: "/v3/async/wan2.6-i2v",
        task_type: "WAN_2_6_IMG_TO_VIDEO",
        retired: Some(Retirement {
            on: "2026-09-30",
            replaced_by: "Kling 3.0",
        }),
    },
    Entry {
        endpoint: Endpoint::Wan27I2v,
        path: "/v3/async/wan2.7-i2v",
        task_type: "WAN_2_7_IMG_TO_VIDEO",
        retired: None,
    },
    Entry {
        endpoint: Endpoint::Wan27T2v,
        path: "/v3/async/wan2.7-t2v",
        task_type: "WAN_2_7_TXT_TO_VIDEO",
        retired: None,
    },
    Entry {
        endpoint: Endpoint::Wan27R2v,
        path: "/v3/async/wan2.7-r2v",
        task_type: "WAN_2_7_REF_TO_VIDEO",
        retired: None,
    },
    Entry {
        endpoint: Endpoint::Wan27Videoedit,
        path: "/v3/async/wan2.7-videoedit",
        task_type: "WAN_2_7_VIDEO_EDIT",
        retired: None,
    },
    Entry {
        endpoint: Endpoint::KlingStdT2v,
        path: "/v3/async/kling-v3.0-std-t2v",
        task_type: "KLING_V3_STD_TXT_TO_VIDEO",
        retired: None,
    },
    Entry {
        endpoint: Endpoint::KlingProT2v,
        path: "/v3/async/kling-v3.0-pro-t2v",
        task_type: "KLING_V3_PRO_TXT_TO_VIDEO",
        retired: None,
    },
    Entry {
        endpoint: Endpoint::Kling4kT2v,
        path: "/v3/async/kling-v3.0-4k-t2v",
        task_type: "KLING_V3_4K_TXT_TO_VIDEO",
        retired: None,
    },
    Entry {
        endpoint: Endpoint::KlingStdI2v,
        path: "/v3/async/kling-v3.0-std-i2v",
        task_type: "KLING_V3_STD_IMG_TO_VIDEO",
        retired: None,
    },
    Entry {
        endpoint: Endpoint::KlingProI2v,
        path: "/v3/async/kling-v3.0-pro-i2v",
        task_type: "KLING_V3_PRO_IMG_TO_VIDEO",
        retired: None,
    },
    Entry {
        endpoint: Endpoint::Kling4kI2v,
        path: "/v3/async/kling-v3.0-4k-i2v",
        task_type: "KLING_V3_4K_IMG_TO_VIDEO",
        retired: None,
    },
    Entry {
        endpoint: Endpoint::KlingMotionControl,
        path: "/v3/async/kling-v3.0-motion-control",
        task_type: "KLING_V3_MOTION_CONTROL",
        retired: None,
    },
];

impl Endpoint {
    pub const ALL: [Endpoint; 14] = {
        let mut all = [Endpoint::WanT2v; 14];
        let mut i = 0;
        while i < CATALOGUE.len() {
            all[i] = CATALOGUE[i].endpoint;
            i += 1;
        }
        all
    };

    fn entry(self) -> &'static Entry {
        // The table holds every variant (a unit test checks it), in declaration order.
        &CATALOGUE[self as usize]
    }

    pub fn path(self) -> &'static str {
        self.entry().path
    }

    pub fn task_type(self) -> &'static str {
        self.entry().task_type
    }

    pub fn retired(self) -> Option<Retirement> {
        self.entry().retired
    }

    /// The last segment of the path (`wan2.7-t2v`), as messages name the endpoint.
    pub fn name(self) -> &'static str {
        self.path().rsplit('/').next().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_declaration_order() {
        for (index, entry) in CATALOGUE.iter().enumerate() {
            assert_eq!(entry.endpoint as usize, index, "{}", entry.path);
        }
        assert_eq!(Endpoint::Wan27Videoedit.name(), "wan2.7-videoedit");
        assert!(Endpoint::WanT2v.retired().is_some() && Endpoint::Wan27I2v.retired().is_none());
    }
}
