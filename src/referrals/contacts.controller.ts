import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBotScoped, BotIdParam } from '../bots';
import { ApiErrors } from '../common/errors';
import { IdParam } from '../common/http/id-param';
import { ContactErrors } from '../contacts';
import { ContactViewService } from './contact-view.service';
import { ContactDto } from './dto/contact.dto';

@ApiTags('Contacts')
@ApiBearerAuth()
@ApiBotScoped()
@ApiErrors(401, 404)
@Controller('api/v1/bots/:botId/contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactViewService) {}

  @Get(':contactId')
  @ApiOperation({
    summary: 'Get a contact with its ids, subscriptions and first and last referral',
    description:
      'Subscriptions come from Messenger opt-ins for marketing messages and one-time notifications; ' +
      'their tokens are stored encrypted and never returned.',
  })
  @ApiOkResponse({ type: ContactDto })
  get(
    @BotIdParam() botId: string,
    @IdParam('contactId', ContactErrors.notFound) contactId: string,
  ): Promise<ContactDto> {
    return this.contacts.get(botId, contactId);
  }
}
