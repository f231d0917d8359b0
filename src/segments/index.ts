export { type AudiencePage, type AudienceQuery } from './segment-audience';
export { SegmentsModule } from './segments.module';
export { SegmentsService, type NewMember, type SegmentRef } from './segments.service';
export { Segment } from './entities/segment.entity';
