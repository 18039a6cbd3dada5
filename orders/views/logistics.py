"""The carriers' tracking push endpoint (快递100, SF Express): signed by the carrier, so
no CSRF token and no login; answered as each carrier expects."""

from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..carriers import registry as carriers
from ..carriers.base import CarrierError
from ..services import logistics


@csrf_exempt
@require_POST
def push(request, carrier):
    try:
        adapter = carriers.get_carrier(carrier)
    except carriers.UnknownCarrier:
        raise Http404 from None
    except CarrierError:
        return HttpResponse("carrier not configured", status=503, content_type="text/plain")
    accepted, _report = logistics.receive_push(
        carrier=carrier, body=request.body, headers=request.headers, form=request.POST.dict()
    )
    status, body, content_type = adapter.push_answer(accepted=accepted)
    return HttpResponse(body, status=status, content_type=f"{content_type}; charset=utf-8")
