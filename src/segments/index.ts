export {
  type AudiencePage,
  type AudienceQuery,
  insertMembersCte,
  insertMembersValues,
} from './segments.repository';
export { SegmentsModule } from './segments.module';
export { SegmentsHttpModule } from './segments-http.module';
export { SegmentsService, type NewMember, type SegmentRef } from './segments.service';
export { Segment } from './entities/segment.entity';
