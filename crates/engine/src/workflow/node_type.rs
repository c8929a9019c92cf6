//! Node types (spec §5.1), their allowed successors (§5.2) and which of them this server runs.

use std::fmt;

/// A node's `<Type>`, spelled as the CI documentation spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeType {
    Start,
    Snapshot,
    Animation,
    SmartCover,
    Transcode,
    Concat,
    VoiceSeparate,
    VideoMontage,
    StreamPackConfig,
    VideoStream,
    StreamPack,
    SDRtoHDR,
    VideoProcess,
    SCF,
    SuperResolution,
    Segment,
    PicProcess,
    Tts,
    SpeechRecognition,
    VideoEnhance,
    Condition,
    MediaInfo,
    AIRecognition,
    SegmentVideoBody,
    HighSpeedHd,
    ImageInspect,
    /// The sentinel successor that ends a branch; never a node under `Nodes`.
    End,
}

/// The node types this server can run. Every other documented type is refused when a workflow
/// is created or updated; supporting a new node type starts by adding it here.
pub const RUNNABLE_NODE_TYPES: &[NodeType] =
    &[NodeType::Start, NodeType::End, NodeType::ImageInspect];

/// Every documented node type, in the order of the documentation.
pub const ALL_NODE_TYPES: &[NodeType] = {
    use NodeType::*;
    &[
        Start,
        Snapshot,
        Animation,
        SmartCover,
        Transcode,
        Concat,
        VoiceSeparate,
        VideoMontage,
        StreamPackConfig,
        VideoStream,
        StreamPack,
        SDRtoHDR,
        VideoProcess,
        SCF,
        SuperResolution,
        Segment,
        PicProcess,
        Tts,
        SpeechRecognition,
        VideoEnhance,
        Condition,
        MediaInfo,
        AIRecognition,
        SegmentVideoBody,
        HighSpeedHd,
        ImageInspect,
        End,
    ]
};

impl NodeType {
    /// The type as written in `<Type>`.
    pub fn as_str(self) -> &'static str {
        use NodeType::*;
        match self {
            Start => "Start",
            Snapshot => "Snapshot",
            Animation => "Animation",
            SmartCover => "SmartCover",
            Transcode => "Transcode",
            Concat => "Concat",
            VoiceSeparate => "VoiceSeparate",
            VideoMontage => "VideoMontage",
            StreamPackConfig => "StreamPackConfig",
            VideoStream => "VideoStream",
            StreamPack => "StreamPack",
            SDRtoHDR => "SDRtoHDR",
            VideoProcess => "VideoProcess",
            SCF => "SCF",
            SuperResolution => "SuperResolution",
            Segment => "Segment",
            PicProcess => "PicProcess",
            Tts => "Tts",
            SpeechRecognition => "SpeechRecognition",
            VideoEnhance => "VideoEnhance",
            Condition => "Condition",
            MediaInfo => "MediaInfo",
            AIRecognition => "AIRecognition",
            SegmentVideoBody => "SegmentVideoBody",
            HighSpeedHd => "HighSpeedHd",
            ImageInspect => "ImageInspect",
            End => "End",
        }
    }

    /// The documented type spelled exactly `s`, if any.
    pub fn from_name(s: &str) -> Option<NodeType> {
        ALL_NODE_TYPES.iter().copied().find(|t| t.as_str() == s)
    }

    /// Whether this server can run nodes of this type.
    pub fn is_runnable(self) -> bool {
        RUNNABLE_NODE_TYPES.contains(&self)
    }

    /// Whether a node of this type may be followed by a node of type `next` (spec §5.2).
    pub fn may_precede(self, next: NodeType) -> bool {
        match self {
            // Start may be followed by any processing node, but not by End directly.
            NodeType::Start => !matches!(next, NodeType::Start | NodeType::End),
            other => other.successor_table().contains(&next),
        }
    }

    /// The documented successors of every type but Start (spec §5.2).
    fn successor_table(self) -> &'static [NodeType] {
        use NodeType::*;
        match self {
            Start | End => &[],
            Snapshot | SmartCover => &[PicProcess, SCF, End],
            Animation | PicProcess => &[SCF, End],
            Transcode => &[
                Snapshot,
                Animation,
                SmartCover,
                Concat,
                VideoMontage,
                SDRtoHDR,
                VideoProcess,
                SCF,
                Segment,
                SpeechRecognition,
                VideoEnhance,
                MediaInfo,
                SegmentVideoBody,
                End,
            ],
            Concat => &[
                Transcode,
                Snapshot,
                Animation,
                SmartCover,
                SDRtoHDR,
                VideoProcess,
                SCF,
                Segment,
                VideoEnhance,
                MediaInfo,
                SegmentVideoBody,
                End,
            ],
            VoiceSeparate => &[SCF, SpeechRecognition, End],
            VideoMontage => &[
                Snapshot,
                Animation,
                SDRtoHDR,
                VideoProcess,
                SCF,
                SuperResolution,
                VideoEnhance,
                Segment,
                MediaInfo,
                SegmentVideoBody,
                End,
            ],
            StreamPackConfig => &[VideoStream],
            VideoStream => &[StreamPack],
            StreamPack | AIRecognition | SegmentVideoBody | ImageInspect => &[End],
            // HighSpeedHd appears only as a successor of Condition; treat it like Transcode's
            // sibling that ends the branch.
            HighSpeedHd => &[End],
            SDRtoHDR => &[
                Transcode,
                Concat,
                VideoMontage,
                VoiceSeparate,
                SmartCover,
                Animation,
                VideoProcess,
                SCF,
                SuperResolution,
                SegmentVideoBody,
                End,
            ],
            VideoProcess => &[
                Transcode,
                Concat,
                VideoMontage,
                VoiceSeparate,
                SmartCover,
                Animation,
                SDRtoHDR,
                SCF,
                Segment,
                SuperResolution,
                MediaInfo,
                SegmentVideoBody,
                End,
            ],
            SCF => &[
                SDRtoHDR,
                Snapshot,
                Transcode,
                Concat,
                VideoMontage,
                VoiceSeparate,
                SmartCover,
                Animation,
                VideoProcess,
                End,
            ],
            SuperResolution => &[
                VideoMontage,
                Transcode,
                SmartCover,
                Animation,
                Snapshot,
                SCF,
                Segment,
                SDRtoHDR,
                VideoProcess,
                MediaInfo,
                SegmentVideoBody,
                End,
            ],
            Segment => &[VideoEnhance, SegmentVideoBody, End],
            Tts => &[SCF, Transcode, End],
            SpeechRecognition => &[SCF, Tts, End],
            VideoEnhance => &[
                Transcode,
                VideoMontage,
                SmartCover,
                Animation,
                Snapshot,
                SCF,
                Segment,
                SpeechRecognition,
                VoiceSeparate,
                MediaInfo,
                End,
            ],
            MediaInfo => &[Condition, End],
            Condition => &[
                Transcode,
                HighSpeedHd,
                SuperResolution,
                VideoProcess,
                Animation,
                Snapshot,
                VideoMontage,
                SmartCover,
                Concat,
                VideoEnhance,
            ],
        }
    }
}

impl fmt::Display for NodeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Start, End, ImageInspect`: the runnable types, for error messages.
pub(crate) fn runnable_list() -> String {
    RUNNABLE_NODE_TYPES
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_name() {
        for &t in ALL_NODE_TYPES {
            assert_eq!(NodeType::from_name(t.as_str()), Some(t));
        }
        assert_eq!(
            NodeType::from_name("imageinspect"),
            None,
            "names are case-sensitive"
        );
    }

    #[test]
    fn start_precedes_processing_nodes_but_not_end() {
        assert!(NodeType::Start.may_precede(NodeType::ImageInspect));
        assert!(NodeType::Start.may_precede(NodeType::StreamPackConfig));
        assert!(!NodeType::Start.may_precede(NodeType::End));
        assert!(!NodeType::Start.may_precede(NodeType::Start));
    }

    #[test]
    fn the_documented_table_is_applied() {
        assert!(NodeType::Transcode.may_precede(NodeType::Snapshot));
        assert!(NodeType::Snapshot.may_precede(NodeType::PicProcess));
        assert!(!NodeType::Snapshot.may_precede(NodeType::Transcode));
        assert!(NodeType::ImageInspect.may_precede(NodeType::End));
        assert!(!NodeType::ImageInspect.may_precede(NodeType::ImageInspect));
        assert!(!NodeType::Condition.may_precede(NodeType::End));
    }

    #[test]
    fn only_start_end_and_image_inspect_run_today() {
        let runnable: Vec<_> = ALL_NODE_TYPES.iter().filter(|t| t.is_runnable()).collect();
        assert_eq!(
            runnable,
            [&NodeType::Start, &NodeType::ImageInspect, &NodeType::End]
        );
        assert_eq!(runnable_list(), "Start, End, ImageInspect");
    }
}
