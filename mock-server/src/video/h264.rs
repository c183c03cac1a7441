//! A minimal H.264 Constrained Baseline encoder: one IDR picture of I_PCM macroblocks (the
//! picture is stored uncompressed, so any image can be shown exactly) followed by P pictures
//! whose macroblocks are all skipped (they repeat the picture at almost no cost). The result
//! is a valid, playable stream of any size and length; it is all a mock needs.

use super::bits::BitWriter;

/// A picture in 4:2:0 planar YUV, already padded to whole macroblocks.
pub(crate) struct Picture {
    pub width_mbs: u32,
    pub height_mbs: u32,
    pub y: Vec<u8>,
    pub u: Vec<u8>,
    pub v: Vec<u8>,
}

/// Stream-wide settings.
pub(crate) struct StreamParams {
    /// Displayed size; the coded size is rounded up to whole macroblocks and cropped back.
    pub width: u32,
    pub height: u32,
    pub level_idc: u8,
}

const PROFILE_BASELINE: u8 = 66;
/// constraint_set0 and constraint_set1: Constrained Baseline.
const CONSTRAINT_FLAGS: u8 = 0b1100_0000;
const LOG2_MAX_FRAME_NUM: u8 = 16;
const NAL_SPS: u8 = 7;
const NAL_PPS: u8 = 8;
const NAL_IDR: u8 = 5;
const NAL_SLICE: u8 = 1;
const MB_TYPE_I_PCM: u32 = 25;
const SLICE_TYPE_P_ALL: u32 = 5;
const SLICE_TYPE_I_ALL: u32 = 7;

impl StreamParams {
    pub fn width_mbs(&self) -> u32 {
        self.width.div_ceil(16)
    }

    pub fn height_mbs(&self) -> u32 {
        self.height.div_ceil(16)
    }

    pub fn profile(&self) -> (u8, u8, u8) {
        (PROFILE_BASELINE, CONSTRAINT_FLAGS, self.level_idc)
    }
}

/// Wraps an RBSP into a NAL unit (header byte plus emulation prevention), without start code.
fn nal(nal_ref_idc: u8, nal_type: u8, rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len() + rbsp.len() / 64 + 1);
    out.push((nal_ref_idc << 5) | nal_type);
    let mut zeros = 0;
    for &byte in rbsp {
        if zeros >= 2 && byte <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(byte);
        zeros = if byte == 0 { zeros + 1 } else { 0 };
    }
    out
}

pub(crate) fn sps(params: &StreamParams) -> Vec<u8> {
    let mut w = BitWriter::with_capacity(32);
    w.bits(u64::from(PROFILE_BASELINE), 8);
    w.bits(u64::from(CONSTRAINT_FLAGS), 8);
    w.bits(u64::from(params.level_idc), 8);
    w.ue(0); // seq_parameter_set_id
    w.ue(u32::from(LOG2_MAX_FRAME_NUM - 4));
    w.ue(2); // pic_order_cnt_type 2: order follows frame_num (no B pictures)
    w.ue(1); // max_num_ref_frames
    w.bit(false); // gaps_in_frame_num_value_allowed_flag
    w.ue(params.width_mbs() - 1);
    w.ue(params.height_mbs() - 1);
    w.bit(true); // frame_mbs_only_flag
    w.bit(true); // direct_8x8_inference_flag
    let crop_right = (params.width_mbs() * 16 - params.width) / 2;
    let crop_bottom = (params.height_mbs() * 16 - params.height) / 2;
    let cropped = crop_right > 0 || crop_bottom > 0;
    w.bit(cropped);
    if cropped {
        w.ue(0);
        w.ue(crop_right);
        w.ue(0);
        w.ue(crop_bottom);
    }
    w.bit(false); // vui_parameters_present_flag: timing lives in the MP4
    nal(3, NAL_SPS, &w.finish_rbsp())
}

pub(crate) fn pps() -> Vec<u8> {
    let mut w = BitWriter::with_capacity(8);
    w.ue(0); // pic_parameter_set_id
    w.ue(0); // seq_parameter_set_id
    w.bit(false); // entropy_coding_mode_flag: CAVLC
    w.bit(false); // bottom_field_pic_order_in_frame_present_flag
    w.ue(0); // num_slice_groups_minus1
    w.ue(0); // num_ref_idx_l0_default_active_minus1
    w.ue(0); // num_ref_idx_l1_default_active_minus1
    w.bit(false); // weighted_pred_flag
    w.bits(0, 2); // weighted_bipred_idc
    w.se(0); // pic_init_qp_minus26
    w.se(0); // pic_init_qs_minus26
    w.se(0); // chroma_qp_index_offset
    w.bit(true); // deblocking_filter_control_present_flag
    w.bit(false); // constrained_intra_pred_flag
    w.bit(false); // redundant_pic_cnt_present_flag
    nal(3, NAL_PPS, &w.finish_rbsp())
}

fn slice_header(w: &mut BitWriter, slice_type: u32, frame_num: u32, idr: bool) {
    w.ue(0); // first_mb_in_slice
    w.ue(slice_type);
    w.ue(0); // pic_parameter_set_id
    w.bits(u64::from(frame_num), LOG2_MAX_FRAME_NUM);
    if idr {
        w.ue(0); // idr_pic_id
    }
    if slice_type == SLICE_TYPE_P_ALL {
        w.bit(false); // num_ref_idx_active_override_flag
        w.bit(false); // ref_pic_list_modification_flag_l0
    }
    // dec_ref_pic_marking(): every picture is a reference picture.
    if idr {
        w.bit(false); // no_output_of_prior_pics_flag
        w.bit(false); // long_term_reference_flag
    } else {
        w.bit(false); // adaptive_ref_pic_marking_mode_flag: sliding window
    }
    w.se(0); // slice_qp_delta
    w.ue(1); // disable_deblocking_filter_idc: off (PCM needs none)
}

/// The IDR picture: every macroblock I_PCM.
pub(crate) fn idr_slice(picture: &Picture) -> Vec<u8> {
    let mbs = (picture.width_mbs * picture.height_mbs) as usize;
    let mut w = BitWriter::with_capacity(mbs * 386 + 16);
    slice_header(&mut w, SLICE_TYPE_I_ALL, 0, true);
    let stride = picture.width_mbs as usize * 16;
    let chroma_stride = stride / 2;
    for mb_y in 0..picture.height_mbs as usize {
        for mb_x in 0..picture.width_mbs as usize {
            w.ue(MB_TYPE_I_PCM);
            w.align_zero(); // pcm_alignment_zero_bit
            for row in 0..16 {
                let start = (mb_y * 16 + row) * stride + mb_x * 16;
                w.bytes_aligned(&picture.y[start..start + 16]);
            }
            for plane in [&picture.u, &picture.v] {
                for row in 0..8 {
                    let start = (mb_y * 8 + row) * chroma_stride + mb_x * 8;
                    w.bytes_aligned(&plane[start..start + 8]);
                }
            }
        }
    }
    nal(3, NAL_IDR, &w.finish_rbsp())
}

/// A P picture in which every macroblock is skipped: it repeats the previous picture.
pub(crate) fn skip_slice(params: &StreamParams, frame_num: u32) -> Vec<u8> {
    let mut w = BitWriter::with_capacity(16);
    slice_header(
        &mut w,
        SLICE_TYPE_P_ALL,
        frame_num % (1 << LOG2_MAX_FRAME_NUM),
        false,
    );
    w.ue(params.width_mbs() * params.height_mbs()); // mb_skip_run
    nal(2, NAL_SLICE, &w.finish_rbsp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emulation_prevention_breaks_start_codes() {
        assert_eq!(
            nal(0, 1, &[0, 0, 1, 0, 0, 0]),
            vec![1, 0, 0, 3, 1, 0, 0, 3, 0]
        );
    }

    #[test]
    fn sps_crops_1080_lines_from_1088() {
        let params = StreamParams {
            width: 1920,
            height: 1080,
            level_idc: 40,
        };
        assert_eq!(params.height_mbs(), 68);
        let sps = sps(&params);
        assert_eq!(&sps[..4], &[0x67, 66, 0xC0, 40]);
    }
}
