import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal } from '../../common/auth/auth.decorators';
import { Principal } from '../../common/auth/principal';
import { ApiProblems } from '../../common/http/api-problems';
import { createValidationPipe } from '../../common/http/validation';
import { DatasetList, DatasetRegistry } from './datasets/dataset-registry';
import { UploadFields, UploadRequestBody } from './dto/upload-fields.dto';
import { PageQuery } from '../../common/http/query';
import { UploadListQuery } from './dto/upload-query.dto';
import { RowErrorPage, UploadPage, UploadView, uploadView } from './upload-view';
import { UploadsService } from './uploads.service';

const fieldsPipe = createValidationPipe();

@ApiTags('uploads')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('uploads')
export class UploadsController {
  constructor(private readonly uploads: UploadsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Upload a CSV file into a dataset',
    description:
      'The file is streamed to storage; the answer (202, with a Location header) comes before any row is read. A file that cannot be imported at all (empty, binary, missing column, wrong delimiter) is refused with 422.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadRequestBody })
  @ApiAcceptedResponse({
    type: UploadView,
    description: 'The upload, queued',
    headers: {
      Location: { description: 'The upload: /api/v1/uploads/{id}', schema: { type: 'string' } },
    },
  })
  @ApiProblems(400, 403, 413, 415, 422, 503)
  async create(
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UploadView> {
    const upload = await this.uploads.receive(
      req,
      principal,
      async (raw) =>
        (await fieldsPipe.transform(raw, { type: 'body', metatype: UploadFields })) as UploadFields,
    );
    res.setHeader('Location', `/api/v1/uploads/${upload.id}`);
    return uploadView(upload);
  }

  @Get()
  @ApiOperation({ summary: "The caller's uploads, newest first" })
  @ApiOkResponse({ type: UploadPage })
  @ApiProblems(400)
  async list(
    @Query() query: UploadListQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<UploadPage> {
    const page = await this.uploads.search(principal, query);
    return { ...page, items: page.items.map(uploadView) };
  }

  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'One upload: tracking fields, file details and counts' })
  @ApiOkResponse({ type: UploadView })
  @ApiProblems(404)
  async get(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<UploadView> {
    return uploadView(await this.uploads.findForCaller(id, principal));
  }

  @Get(':id/errors')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary: 'Row errors of an upload, in file order (the first 10,000 are kept; all are counted)',
  })
  @ApiOkResponse({ type: RowErrorPage })
  @ApiProblems(400, 404)
  async errors(
    @Param('id') id: string,
    @Query() query: PageQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RowErrorPage> {
    return this.uploads.errors(id, principal, query.limit, query.offset);
  }
}

@ApiTags('uploads')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('datasets')
export class DatasetsController {
  constructor(private readonly datasets: DatasetRegistry) {}

  @Get()
  @ApiOperation({
    summary: 'Datasets that can be uploaded: columns, types, natural key, who may write',
  })
  @ApiOkResponse({ type: DatasetList })
  list(@CurrentPrincipal() principal: Principal): DatasetList {
    return { items: this.datasets.all().map((d) => this.datasets.view(d, principal)) };
  }
}
