export { PageQueryDto } from './page-query.dto';
export { decodeCursor, encodeCursor, PageOf, toPage, type CreatedCursor, type Page } from './page';
